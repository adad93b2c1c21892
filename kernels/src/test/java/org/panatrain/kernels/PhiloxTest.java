// Philox4x32-10 against Random123's published known-answer vectors (kat_vectors), the dropout
// decision's word and lane layout against the first of them, the keep fraction's statistics, and
// SplitMix64 against java.util.SplittableRandom (the same mixer and gamma).
package org.panatrain.kernels;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;

class PhiloxTest {

    @Test
    void matchesRandom123KnownAnswers() {
        // Random123 kat_vectors: "philox4x32 10" ctr[4] key[2] -> out[4]
        assertBlock(new int[] {0, 0, 0, 0}, new int[] {0, 0},
                new int[] {0x6627e8d5, 0xe169c58d, 0xbc57ac4c, 0x9b00dbd8});
        assertBlock(new int[] {-1, -1, -1, -1}, new int[] {-1, -1},
                new int[] {0x408f276d, 0x41c83b0e, 0xa20bc7c6, 0x6d5451fd});
        assertBlock(new int[] {0x243f6a88, 0x85a308d3, 0x13198a2e, 0x03707344}, new int[] {0xa4093822, 0x299f31d0},
                new int[] {0xd16cfe09, 0x94fdcceb, 0x5001e420, 0x24126ea1});
    }

    private static void assertBlock(int[] ctr, int[] key, int[] want) {
        int[] got = new int[4];
        Philox.block(ctr[0], ctr[1], ctr[2], ctr[3], key[0], key[1], got);
        assertThat(got).containsExactly(want);
    }

    @Test
    void elementIUsesWordIMod4OfBlockIDiv4() {
        // seed 0, elements 0..3: counter 0, the first known-answer block
        // {0x6627e8d5, 0xe169c58d, 0xbc57ac4c, 0x9b00dbd8}; a threshold equal to the last word keeps it.
        long threshold = 0x9b00dbd8L;
        assertThat(Philox.keep(0, 0, threshold)).isFalse();
        assertThat(Philox.keep(0, 1, threshold)).isTrue();
        assertThat(Philox.keep(0, 2, threshold)).isTrue();
        assertThat(Philox.keep(0, 3, threshold)).isTrue();
        assertThat(Philox.keep(0, 3, threshold + 1)).isFalse();
        // The key is the seed, low word first, and the counter the element index / 4, low word
        // first: words from an independent Python Philox4x32-10 (checked on the vectors above).
        assertWordAt(-1L, 0, 0x72a47709L);                   // key {0xffffffff, 0xffffffff}, ctr 0
        long[] block1 = {0xd1f1a71aL, 0xf3b320d0L, 0xbc20476aL, 0x474780e2L};   // key {1337, 0}, ctr {1, 0, 0, 0}
        for (int lane = 0; lane < 4; lane++) {
            assertWordAt(1337, 4 + lane, block1[lane]);
        }
    }

    /** Element {@code index} is kept at a threshold equal to its word and dropped one above. */
    private static void assertWordAt(long seed, long index, long word) {
        assertThat(Philox.keep(seed, index, word)).isTrue();
        assertThat(Philox.keep(seed, index, word + 1)).isFalse();
    }

    @Test
    void keepsAboutOneMinusPOfTheElements() {
        int n = 400_000;
        for (float p : new float[] {0.1f, 0.5f, 0.9f}) {
            long threshold = Philox.threshold(p);
            int kept = 0;
            for (int i = 0; i < n; i++) {
                kept += Philox.keep(1234, i, threshold) ? 1 : 0;
            }
            double sigma = Math.sqrt(n * p * (1 - p));
            assertThat(Math.abs(kept - n * (1.0 - p))).as("kept %d of %d at p %s", kept, n, p).isLessThan(5 * sigma);
        }
        for (int i = 0; i < 1000; i++) {
            assertThat(Philox.keep(99, i, Philox.threshold(0f))).isTrue();
        }
    }

    @Test
    void thresholdIsPTimes2To32AndRejectsProbabilitiesOutsideZeroToOne() {
        assertThat(Philox.threshold(0f)).isZero();
        assertThat(Philox.threshold(0.5f)).isEqualTo(1L << 31);
        assertThat(Philox.threshold(0.25f)).isEqualTo(1L << 30);
        assertThat(Philox.keepScale(0.5f)).isEqualTo(2f);
        assertThatThrownBy(() -> Philox.threshold(1f)).isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> Philox.threshold(-0.1f)).isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> Philox.threshold(Float.NaN)).isInstanceOf(IllegalArgumentException.class);
    }

    @Test
    void splitMix64IsSplittableRandomsSequence() {
        for (long seed : new long[] {0, 1337, -42, Long.MAX_VALUE}) {
            SplittableRandom r = new SplittableRandom(seed);
            for (int i = 0; i < 5; i++) {
                assertThat(SplitMix64.output(seed, i)).isEqualTo(r.nextLong());
            }
        }
    }
}
