// The dropout masks of every backend: Philox4x32-10 (Salmon et al., "Parallel random numbers: as
// easy as 1, 2, 3", SC'11; the generator of cuRAND and PyTorch), a counter-based generator, so the
// keep/drop decision of element i is a pure function of (seed, i). Forward, backward and a
// recompute draw the same mask without storing it, on the CPU and on CUDA alike (native-src's
// philox.cuh is the same function). Element i uses word i % 4 of the block at counter i / 4.
// Leaves out the generator's other uses (normal samples, skip-ahead across streams).
package org.panatrain.kernels;

/**
 * Philox4x32-10 and the dropout decision built on it.
 *
 * <pre>{@code
 * long threshold = Philox.threshold(0.1f);                  // round(p * 2^32)
 * boolean keep = Philox.keep(seed, i, threshold);          // element i of a site seeded with seed
 * int[] words = new int[4];
 * Philox.block(0, 0, 0, 0, 0, 0, words);                   // {0x6627e8d5, 0xe169c58d, 0xbc57ac4c, 0x9b00dbd8}
 * }</pre>
 */
public final class Philox {
    private static final long M0 = 0xD2511F53L;
    private static final long M1 = 0xCD9E8D57L;
    private static final int W0 = 0x9E3779B9;
    private static final int W1 = 0xBB67AE85;
    private static final long MASK = 0xFFFF_FFFFL;

    private Philox() {
    }

    /**
     * The four 32-bit words of Philox4x32-10 for counter {c0, c1, c2, c3} and key {k0, k1}, into
     * out[0..3]. (Random123's philox4x32(ctr, key) with 10 rounds.)
     */
    public static void block(int c0, int c1, int c2, int c3, int k0, int k1, int[] out) {
        for (int round = 0; round < 10; round++) {
            long p0 = M0 * (c0 & MASK);
            long p1 = M1 * (c2 & MASK);
            int n0 = (int) (p1 >>> 32) ^ c1 ^ k0;
            int n2 = (int) (p0 >>> 32) ^ c3 ^ k1;
            c0 = n0;
            c1 = (int) p1;
            c2 = n2;
            c3 = (int) p0;
            k0 += W0;
            k1 += W1;
        }
        out[0] = c0;
        out[1] = c1;
        out[2] = c2;
        out[3] = c3;
    }

    /** round(p * 2^32): an element is dropped when its word, unsigned, is below this. 0 <= p < 1. */
    public static long threshold(float p) {
        if (!(p >= 0f && p < 1f)) {
            throw new IllegalArgumentException("dropout probability must be in [0, 1), got " + p);
        }
        return Math.round(p * 4294967296.0);
    }

    /** 1/(1-p) rounded once to FP32: the factor of kept values on every backend. */
    public static float keepScale(float p) {
        return (float) (1.0 / (1.0 - p));
    }

    /**
     * Whether element {@code index} of a dropout site seeded with {@code seed} is kept: word
     * index % 4 of the block at counter {index / 4, 0, 0} (64 bits, low word first) under key
     * seed (low word first), unsigned, is at least {@code threshold}. The reference every
     * backend's kernel reproduces; kernels draw a whole block per four elements with {@link #block}.
     */
    public static boolean keep(long seed, long index, long threshold) {
        int[] words = new int[4];
        long counter = index >>> 2;
        block((int) counter, (int) (counter >>> 32), 0, 0, (int) seed, (int) (seed >>> 32), words);
        return Integer.toUnsignedLong(words[(int) (index & 3)]) >= threshold;
    }
}
