// Lion on the CPU: one fused elementwise pass over param, grad and m, in the same float operations
// as the scalar form (no fused multiply-add), so the vector body and the tail agree to the bit.
// One instance per backend holds the range body whose fields each call sets, so a call allocates
// nothing. Leaves out validation (CpuKernels).
package org.panatrain.kernels.cpu;

import static org.panatrain.kernels.cpu.Vec.F;
import static org.panatrain.kernels.cpu.Vec.L;

import java.lang.foreign.MemorySegment;
import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorMask;
import jdk.incubator.vector.VectorOperators;

/** lion over three flat FP32 segments of n elements. */
final class CpuLion implements Parallel.RangeBody {
    private final Parallel par;
    private MemorySegment param, grad, m;
    private long n;
    private float lr, b1, b2, decay;

    CpuLion(Parallel par) {
        this.par = par;
    }

    /** c = b1 m + (1-b1) g; param = param (1 - lr wd) - lr sign(c); m = b2 m + (1-b2) g. */
    void step(MemorySegment param, MemorySegment grad, MemorySegment m, long n, float lr, float b1, float b2,
              float weightDecay) {
        this.param = param;
        this.grad = grad;
        this.m = m;
        this.n = n;
        this.lr = lr;
        this.b1 = b1;
        this.b2 = b2;
        this.decay = 1f - lr * weightDecay;
        try {
            par.forRange(Math.toIntExact((n + CpuPointwise.BLOCK - 1) / CpuPointwise.BLOCK), CpuPointwise.GRAIN_BLOCKS, this);
        } finally {
            this.param = this.grad = this.m = null; // do not keep the caller's tensors reachable
        }
    }

    @Override
    public void run(int firstBlock, int endBlock) {
        long i = (long) firstBlock * CpuPointwise.BLOCK;
        long end = Math.min(n, (long) endBlock * CpuPointwise.BLOCK);
        FloatVector zero = FloatVector.zero(Vec.S);
        for (long vend = i + Vec.bound(end - i); i < vend; i += L) {
            FloatVector g = Vec.load(grad, i);
            FloatVector mi = Vec.load(m, i);
            FloatVector c = mi.mul(b1).add(g.mul(1f - b1));
            VectorMask<Float> nan = c.test(VectorOperators.IS_NAN);
            FloatVector sign = zero.blend(1f, c.compare(VectorOperators.GT, 0f))
                    .blend(-1f, c.compare(VectorOperators.LT, 0f)).blend(c, nan); // Math.signum, NaN kept
            Vec.store(Vec.load(param, i).mul(decay).sub(sign.mul(lr)), param, i);
            Vec.store(mi.mul(b2).add(g.mul(1f - b2)), m, i);
        }
        for (; i < end; i++) {
            float g = grad.getAtIndex(F, i);
            float mi = m.getAtIndex(F, i);
            float c = b1 * mi + (1f - b1) * g;
            param.setAtIndex(F, i, param.getAtIndex(F, i) * decay - lr * Math.signum(c));
            m.setAtIndex(F, i, b2 * mi + (1f - b2) * g);
        }
    }
}
