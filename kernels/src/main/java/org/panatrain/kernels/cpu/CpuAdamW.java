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
    private static final ThreadLocal<Update> UPDATES = ThreadLocal.withInitial(Update::new);

    private CpuAdamW() {
    }

    /**
     * m = b1 m + (1-b1) g; v = b2 v + (1-b2) g^2; p = p (1 - lr wd) - (lr / bc1) m / (sqrt(v) / sqrt(bc2) + eps),
     * with bc1 = 1 - b1^t, bc2 = 1 - b2^t: the same as torch.optim.AdamW.
     */
    static void step(Parallel par, MemorySegment param, MemorySegment grad, MemorySegment m, MemorySegment v, long n,
                     AdamWStep s) {
        Update u = UPDATES.get();
        u.param = param;
        u.grad = grad;
        u.m = m;
        u.v = v;
        u.decay = 1 - s.lr() * s.weightDecay();
        u.stepSize = (float) (s.lr() / (1 - Math.pow(s.beta1(), s.t())));
        u.invSqrtBc2 = (float) (1 / Math.sqrt(1 - Math.pow(s.beta2(), s.t())));
        u.b1 = s.beta1();
        u.b2 = s.beta2();
        u.eps = s.eps();
        try {
            CpuPointwise.forElements(par, n, u);
        } finally {
            u.param = u.grad = u.m = u.v = null;
        }
    }

    /** The operands of one update; one object per calling thread, reused call after call. */
    private static final class Update extends CpuPointwise.ElementCall {
        private MemorySegment param;
        private MemorySegment grad;
        private MemorySegment m;
        private MemorySegment v;
        private float decay;
        private float stepSize;
        private float invSqrtBc2;
        private float b1;
        private float b2;
        private float eps;

        @Override
        void run(long i, long end) {
            // locals, not fields, in the loop: loop-invariant for the JIT, as a lambda's captures were
            MemorySegment param = this.param, grad = this.grad, m = this.m, v = this.v;
            float decay = this.decay, stepSize = this.stepSize, invSqrtBc2 = this.invSqrtBc2;
            float b1 = this.b1, b2 = this.b2, eps = this.eps;
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
        }
    }
}
