// AdamW with block-wise 8-bit moments on the CPU. Quantization blocks are independent, so the
// threads take ranges of blocks. A block is done in two passes: the first dequantizes m and v,
// runs the FP32 AdamW update, writes the weight, keeps the new m and v in the thread's scratch and
// takes their new absmax; the second requantizes them against it. The moments go through the maps
// of DynamicQuantization, the tables the CUDA backend uploads too. Scalar code: decoding is a
// table gather and encoding a table lookup, which the Vector API does not speed up here. One
// instance per backend holds the call's arguments in fields, so a call allocates nothing once the
// per-thread scratch has grown to a block. Leaves out validation.
package org.panatrain.kernels.cpu;

import static java.lang.foreign.ValueLayout.JAVA_BYTE;
import static org.panatrain.kernels.cpu.Vec.F;

import java.lang.foreign.MemorySegment;
import org.panatrain.kernels.DynamicQuantization;

/** adamW8bit over flat segments: FP32 param and grad, byte codes, FP32 absmax per block. */
final class CpuAdamW8bit implements Parallel.RangeBody {
    private static final DynamicQuantization SIGNED = DynamicQuantization.SIGNED;
    private static final DynamicQuantization UNSIGNED = DynamicQuantization.UNSIGNED;
    /** Fewest quantization blocks a thread is handed. */
    private static final int GRAIN = 64;

    private final Parallel par;
    private MemorySegment param, grad, codesM, absmaxM, codesV, absmaxV;
    private long n;
    private int block;
    private float lr, b1, b2, eps, wd, correction1, correction2;

    CpuAdamW8bit(Parallel par) {
        this.par = par;
    }

    /**
     * m = b1 m + (1-b1) g; v = b2 v + (1-b2) g^2; param -= lr (m / bc1 / (sqrt(v / bc2) + eps) + wd param),
     * bc = 1 - beta^t (in double, then rounded to float), m and v dequantized before and requantized after.
     */
    void step(MemorySegment param, MemorySegment grad, MemorySegment codesM, MemorySegment absmaxM,
              MemorySegment codesV, MemorySegment absmaxV, long n, int block, float lr, float b1, float b2, float eps,
              float wd, int t) {
        this.param = param;
        this.grad = grad;
        this.codesM = codesM;
        this.absmaxM = absmaxM;
        this.codesV = codesV;
        this.absmaxV = absmaxV;
        this.n = n;
        this.block = block;
        this.lr = lr;
        this.b1 = b1;
        this.b2 = b2;
        this.eps = eps;
        this.wd = wd;
        this.correction1 = (float) (1 - Math.pow(b1, t));
        this.correction2 = (float) (1 - Math.pow(b2, t));
        try {
            par.forRange(Math.toIntExact((n + block - 1) / block), GRAIN, this);
        } finally {
            this.param = this.grad = this.codesM = this.absmaxM = this.codesV = this.absmaxV = null;
        }
    }

    @Override
    public void run(int firstBlock, int endBlock) {
        float[] newM = ThreadScratch.floats(0, block);
        float[] newV = ThreadScratch.floats(1, block);
        for (int b = firstBlock; b < endBlock; b++) {
            updateBlock(b, newM, newV);
        }
    }

    private void updateBlock(int b, float[] newM, float[] newV) {
        // the fields in locals: the JIT keeps them in registers across the segment stores
        MemorySegment param = this.param, grad = this.grad, codesM = this.codesM, codesV = this.codesV;
        float lr = this.lr, b1 = this.b1, b2 = this.b2, eps = this.eps, wd = this.wd;
        float correction1 = this.correction1, correction2 = this.correction2;
        long start = (long) b * block;
        int len = (int) Math.min(block, n - start);
        float scaleM = absmaxM.getAtIndex(F, b);
        float scaleV = absmaxV.getAtIndex(F, b);
        float maxM = 0;
        float maxV = 0;
        for (int j = 0; j < len; j++) {
            long i = start + j;
            float g = grad.getAtIndex(F, i);
            float m = b1 * SIGNED.decode(code(codesM, i)) * scaleM + (1f - b1) * g;
            float v = b2 * UNSIGNED.decode(code(codesV, i)) * scaleV + (1f - b2) * g * g;
            float mhat = m / correction1;
            float vhat = v / correction2;
            float w = param.getAtIndex(F, i);
            param.setAtIndex(F, i, w - lr * (mhat / ((float) Math.sqrt(vhat) + eps) + wd * w));
            newM[j] = m;
            newV[j] = v;
            maxM = Math.max(maxM, Math.abs(m));
            maxV = Math.max(maxV, v);
        }
        absmaxM.setAtIndex(F, b, maxM);
        absmaxV.setAtIndex(F, b, maxV);
        for (int j = 0; j < len; j++) {
            long i = start + j;
            codesM.set(JAVA_BYTE, i, (byte) SIGNED.encode(maxM == 0 ? 0f : newM[j] / maxM));
            codesV.set(JAVA_BYTE, i, (byte) UNSIGNED.encode(maxV == 0 ? 0f : newV[j] / maxV));
        }
    }

    private static int code(MemorySegment codes, long i) {
        return codes.get(JAVA_BYTE, i) & 0xFF;
    }
}
