// Dropout on the CPU: the elementwise op (out (+)= inp * keep / (1-p)) and the row masking the
// attention kernels apply to probabilities and their gradients. The mask of element i is
// Philox.keep(seed, i, threshold), one Philox block per four consecutive elements; the blocks are
// drawn a vector of counters at a time (Philox's 32x32-bit products in 64-bit lanes), into a
// per-thread array of keep scales (1/(1-p) or 0) that the elementwise loops then apply. A
// dropped element is +0 whatever its input (a select, as the CUDA kernel), so both backends give
// the same bits. One instance per backend is the parallel body of the elementwise op, its fields
// set per call, so a call allocates nothing. Leaves out validation (CpuKernels does it).
package org.panatrain.kernels.cpu;

import static org.panatrain.kernels.cpu.Vec.F;
import static org.panatrain.kernels.cpu.Vec.L;
import static org.panatrain.kernels.cpu.Vec.S;

import java.lang.foreign.MemorySegment;
import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.LongVector;
import jdk.incubator.vector.VectorOperators;
import jdk.incubator.vector.VectorSpecies;
import org.panatrain.kernels.Philox;

/** Dropout masks over flat FP32 element indices. */
final class CpuDropout implements Parallel.RangeBody {
    private static final VectorSpecies<Long> LS = LongVector.SPECIES_PREFERRED;
    /** Philox blocks (counters) drawn at once. */
    private static final int LL = LS.length();
    private static final LongVector IOTA = LongVector.zero(LS).addIndex(1);
    private static final long LOW32 = 0xFFFF_FFFFL;
    private static final ThreadLocal<long[]> WORDS = ThreadLocal.withInitial(() -> new long[4 * LL]);
    /**
     * Fewest blocks of CpuPointwise.BLOCK elements a thread is handed: masks cost ~2 ns an element
     * (not memory-bound like a copy), so two blocks already outweigh a fork/join.
     */
    private static final int GRAIN_BLOCKS = 2;

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
            par.forRange(blocks, GRAIN_BLOCKS, this);
        } finally {
            this.out = null;  // drop the call's tensors
            this.inp = null;
        }
    }

    /** Blocks [b0, b1). */
    @Override
    public void run(int b0, int b1) {
        for (int b = b0; b < b1; b++) {
            long start = (long) b * CpuPointwise.BLOCK;
            int len = (int) Math.min(CpuPointwise.BLOCK, n - start);
            float[] keep = keepScales(len, start, seed, threshold, scale);
            int j = 0;
            for (; j < Vec.bound(len); j += L) {
                FloatVector k = FloatVector.fromArray(S, keep, j);
                FloatVector v = Vec.load(inp, start + j).mul(k).blend(0f, k.eq(0f));
                Vec.store(accumulate ? Vec.load(out, start + j).add(v) : v, out, start + j);
            }
            for (; j < len; j++) {
                float v = keep[j] != 0f ? inp.getAtIndex(F, start + j) * keep[j] : 0f;
                out.setAtIndex(F, start + j, accumulate ? out.getAtIndex(F, start + j) + v : v);
            }
        }
    }

    /** x[at + j] = keep[from + j] != 0 ? x[at + j] * keep[from + j] : 0, for j < len. */
    static void apply(float[] x, int at, float[] keep, int from, int len) {
        int j = 0;
        for (; j < Vec.bound(len); j += L) {
            FloatVector k = FloatVector.fromArray(S, keep, from + j);
            FloatVector.fromArray(S, x, at + j).mul(k).blend(0f, k.eq(0f)).intoArray(x, at + j);
        }
        for (; j < len; j++) {
            x[at + j] = keep[from + j] != 0f ? x[at + j] * keep[from + j] : 0f;
        }
    }

    /**
     * This thread's DROPOUT_MASK scratch with entry j (j < len) = scale when element index0 + j is
     * kept ({@link Philox#keep}), else 0; valid until the thread's next call.
     */
    static float[] keepScales(int len, long index0, long seed, long threshold, float scale) {
        float[] keep = ThreadScratch.floats(ThreadScratch.DROPOUT_MASK, len);
        long[] words = WORDS.get();   // (4, LL): word w of counter first + j at w*LL + j
        long end = index0 + len;
        for (long first = index0 >>> 2; 4 * first < end; first += LL) {
            draw(seed, first, words);
            if (4 * first >= index0 && 4 * (first + LL) <= end) {   // the whole draw lies in the range
                for (int j = 0, k = (int) (4 * first - index0); j < LL; j++, k += 4) {
                    keep[k] = words[j] >= threshold ? scale : 0f;
                    keep[k + 1] = words[LL + j] >= threshold ? scale : 0f;
                    keep[k + 2] = words[2 * LL + j] >= threshold ? scale : 0f;
                    keep[k + 3] = words[3 * LL + j] >= threshold ? scale : 0f;
                }
                continue;
            }
            for (int j = 0; j < LL; j++) {
                for (int w = 0; w < 4; w++) {
                    long i = 4 * (first + j) + w;
                    if (i >= index0 && i < end) {
                        keep[(int) (i - index0)] = words[w * LL + j] >= threshold ? scale : 0f;
                    }
                }
            }
        }
        return keep;
    }

    /**
     * Philox4x32-10 blocks of counters first .. first+LL-1 (upper counter words 0) under key seed,
     * each 32-bit word in the low half of a 64-bit lane, so a 32x32-bit product fits a lane.
     */
    private static void draw(long seed, long first, long[] words) {
        LongVector c = IOTA.add(first);
        LongVector x0 = c.and(LOW32), x1 = c.lanewise(VectorOperators.LSHR, 32);
        LongVector x2 = LongVector.zero(LS), x3 = x2;
        long k0 = seed & LOW32, k1 = seed >>> 32;
        for (int round = 0; round < 10; round++) {
            LongVector p0 = x0.mul(0xD2511F53L), p1 = x2.mul(0xCD9E8D57L);
            LongVector n0 = p1.lanewise(VectorOperators.LSHR, 32).lanewise(VectorOperators.XOR, x1.lanewise(VectorOperators.XOR, k0));
            LongVector n2 = p0.lanewise(VectorOperators.LSHR, 32).lanewise(VectorOperators.XOR, x3.lanewise(VectorOperators.XOR, k1));
            x1 = p1.and(LOW32);
            x3 = p0.and(LOW32);
            x0 = n0;
            x2 = n2;
            k0 = (k0 + 0x9E3779B9L) & LOW32;
            k1 = (k1 + 0xBB67AE85L) & LOW32;
        }
        x0.intoArray(words, 0);
        x1.intoArray(words, LL);
        x2.intoArray(words, 2 * LL);
        x3.intoArray(words, 3 * LL);
    }
}
