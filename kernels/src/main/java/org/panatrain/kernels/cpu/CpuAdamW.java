// AdamW on the CPU: one fused elementwise pass over param, grad, m and v, in PyTorch's operation
// order (decoupled decay first, then the bias-corrected Adam step). Leaves out validation
// (CpuKernels) and amsgrad / maximize.
package org.panatrain.kernels.cpu;

import static org.panatrain.kernels.cpu.Vec.F;
import static org.panatrain.kernels.cpu.Vec.L;

import java.lang.foreign.MemorySegment;
import jdk.incubator.vector.FloatVector;
import org.panatrain.kernels.AdamWStep;

/** adamW over four flat FP32 segments of n elements. */
final class CpuAdamW {
    private CpuAdamW() {
    }

    /**
     * m = b1 m + (1-b1) g; v = b2 v + (1-b2) g^2; p = p (1 - lr wd) - (lr / bc1) m / (sqrt(v) / sqrt(bc2) + eps),
     * with bc1 = 1 - b1^t, bc2 = 1 - b2^t: the same as torch.optim.AdamW.
     */
    static void step(Parallel par, MemorySegment param, MemorySegment grad, MemorySegment m, MemorySegment v, long n,
                     AdamWStep s) {
        float decay = 1 - s.lr() * s.weightDecay();
        float stepSize = (float) (s.lr() / (1 - Math.pow(s.beta1(), s.t())));
        float invSqrtBc2 = (float) (1 / Math.sqrt(1 - Math.pow(s.beta2(), s.t())));
        float b1 = s.beta1(), b2 = s.beta2(), eps = s.eps();
        CpuPointwise.forElements(par, n, (i, end) -> {
            for (long vend = i + Vec.bound(end - i); i < vend; i += L) {
                FloatVector g = Vec.load(grad, i);
                FloatVector mi = Vec.load(m, i).mul(b1).add(g.mul(1 - b1));
                FloatVector vi = Vec.load(v, i).mul(b2).add(g.mul(g).mul(1 - b2));
                FloatVector denom = vi.sqrt().mul(invSqrtBc2).add(eps);
                FloatVector p = Vec.load(param, i).mul(decay).sub(mi.mul(stepSize).div(denom));
                Vec.store(mi, m, i);
                Vec.store(vi, v, i);
                Vec.store(p, param, i);
            }
            for (; i < end; i++) {
                float g = grad.getAtIndex(F, i);
                float mi = b1 * m.getAtIndex(F, i) + (1 - b1) * g;
                float vi = b2 * v.getAtIndex(F, i) + (1 - b2) * g * g;
                float denom = (float) Math.sqrt(vi) * invSqrtBc2 + eps;
                m.setAtIndex(F, i, mi);
                v.setAtIndex(F, i, vi);
                param.setAtIndex(F, i, param.getAtIndex(F, i) * decay - mi * stepSize / denom);
            }
        });
    }
}
