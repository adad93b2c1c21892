// Dropout on the CPU: the elementwise op (out (+)= inp * keep / (1-p)) and the row masking the
// attention kernels apply to probabilities and their gradients. The mask of element i is
// Philox.keep(seed, i, threshold), drawn one Philox block per four consecutive elements; the
// Philox rounds dominate, so the loops are scalar (the Vector API would pay only with a
// vectorized Philox). One instance per backend is the parallel body of the elementwise op, its
// fields set per call, so a call allocates nothing. Leaves out validation (CpuKernels does it).
package org.panatrain.kernels.cpu;

import static org.panatrain.kernels.cpu.Vec.F;

import java.lang.foreign.MemorySegment;
import org.panatrain.kernels.Philox;

/** Dropout masks over flat FP32 element indices. */
final class CpuDropout implements Parallel.RangeBody {
    private static final ThreadLocal<int[]> WORDS = ThreadLocal.withInitial(() -> new int[4]);

    private MemorySegment out;
    private MemorySegment inp;
    private long n;
    private long seed;
    private long threshold;
    private float scale;
    private boolean accumulate;

    /** out (+)= inp * keep_i * scale over n elements, in blocks of CpuPointwise.BLOCK. */
    void run(Parallel par, MemorySegment out, MemorySegment inp, long n, float p, long seed, boolean accumulate) {
        this.out = out;
        this.inp = inp;
        this.n = n;
        this.seed = seed;
        this.threshold = Philox.threshold(p);
        this.scale = Philox.keepScale(p);
        this.accumulate = accumulate;
        try {
            int blocks = Math.toIntExact((n + CpuPointwise.BLOCK - 1) / CpuPointwise.BLOCK);
            par.forRange(blocks, CpuPointwise.GRAIN_BLOCKS, this);
        } finally {
            this.out = null;  // drop the call's tensors
            this.inp = null;
        }
    }

    /** Blocks [b0, b1). */
    @Override
    public void run(int b0, int b1) {
        long end = Math.min(n, (long) b1 * CpuPointwise.BLOCK);
        int[] words = WORDS.get();
        long counter = -1;
        for (long i = (long) b0 * CpuPointwise.BLOCK; i < end; i++) {
            if (i >>> 2 != counter) {
                counter = i >>> 2;
                draw(seed, counter, words);
            }
            float v = Integer.toUnsignedLong(words[(int) (i & 3)]) >= threshold ? inp.getAtIndex(F, i) * scale : 0f;
            out.setAtIndex(F, i, accumulate ? out.getAtIndex(F, i) + v : v);
        }
    }

    /** x[at + j] *= keep(index0 + j) * scale for j < len (dropped entries become 0). */
    static void maskRow(float[] x, int at, int len, long index0, long seed, long threshold, float scale) {
        int[] words = WORDS.get();
        long counter = -1;
        for (int j = 0; j < len; j++) {
            long i = index0 + j;
            if (i >>> 2 != counter) {
                counter = i >>> 2;
                draw(seed, counter, words);
            }
            x[at + j] = Integer.toUnsignedLong(words[(int) (i & 3)]) >= threshold ? x[at + j] * scale : 0f;
        }
    }

    private static void draw(long seed, long counter, int[] words) {
        Philox.block((int) counter, (int) (counter >>> 32), 0, 0, (int) seed, (int) (seed >>> 32), words);
    }
}
