// Exp against float64 Math.exp (within 2 ulp over the range the kernels use, the edges exact),
// and its vector lanes against its scalar form (the same bits, wherever a vector ends).
package org.panatrain.kernels.cpu;

import static org.assertj.core.api.Assertions.assertThat;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;

class ExpTest {

    /** Distance in units in the last place between two finite positive floats. */
    private static long ulps(float a, float b) {
        return Math.abs((long) Float.floatToRawIntBits(a) - Float.floatToRawIntBits(b));
    }

    @Test
    void isWithinTwoUlpOfTheCorrectlyRoundedExpFromMinus87ToThe88Limit() {
        SplittableRandom rnd = new SplittableRandom(3);
        long worst = 0;
        for (int i = 0; i < 2_000_000; i++) {
            float x = i < 1_000_000 ? (float) (-87 + rnd.nextDouble() * (88 + 87))
                    : (float) (-rnd.nextDouble() * 10);   // the softmax range, densely
            long d = ulps(Exp.of(x), (float) Math.exp(x));
            worst = Math.max(worst, d);
            assertThat(d).as("ulps at x = %s", x).isLessThanOrEqualTo(2);
        }
        System.err.println("Exp: worst error " + worst + " ulp over 2M arguments");
    }

    @Test
    void edgesAreExact() {
        assertThat(Exp.of(0f)).isEqualTo(1f);
        assertThat(Exp.of(-0f)).isEqualTo(1f);
        assertThat(Exp.of(Float.NEGATIVE_INFINITY)).isEqualTo(0f);
        assertThat(Exp.of(-88f)).isEqualTo(0f);
        assertThat(Exp.of(-1000f)).isEqualTo(0f);
        assertThat(Exp.of(Float.NaN)).isNaN();
        float e88 = (float) Math.exp(88);   // 1.65e38: above 88 it saturates
        assertThat(ulps(Exp.of(88f), e88)).isLessThanOrEqualTo(2);
        assertThat(Exp.of(1000f)).isEqualTo(Exp.of(88f));
        assertThat(Exp.of(Float.POSITIVE_INFINITY)).isEqualTo(Exp.of(88f));
    }

    @Test
    void shiftedSumsLanesGiveTheScalarBitsInArraysAndSegmentsAndTheSumOfThem() {
        SplittableRandom rnd = new SplittableRandom(5);
        int n = 37 * Vec.L + 5;
        float shift = 1.5f;
        float[] x = new float[n];
        for (int i = 0; i < n; i++) {
            x[i] = (float) ((rnd.nextDouble() - 0.8) * 100);
        }
        x[Vec.L + 1] = Float.NEGATIVE_INFINITY;
        for (int from : new int[] {0, 1, Vec.L - 1}) {
            float[] a = x.clone();
            float arraySum = Exp.shiftedSum(a, from, n, shift);
            try (Arena arena = Arena.ofConfined()) {
                MemorySegment m = arena.allocateFrom(Vec.F, x);
                float segmentSum = Exp.shiftedSum(m, from, n - from, shift);
                double want = 0;
                for (int i = 0; i < n; i++) {
                    float e = i < from ? x[i] : Exp.of(x[i] - shift);
                    want += i < from ? 0 : Math.exp((double) x[i] - shift);
                    assertThat(Float.floatToRawIntBits(a[i])).as("array, element %d from %d", i, from)
                            .isEqualTo(Float.floatToRawIntBits(e));
                    assertThat(Float.floatToRawIntBits(m.getAtIndex(Vec.F, i))).as("segment, element %d from %d", i, from)
                            .isEqualTo(Float.floatToRawIntBits(e));
                }
                assertThat((double) arraySum).isCloseTo(want, org.assertj.core.data.Percentage.withPercentage(1e-4));
                assertThat(segmentSum).isEqualTo(arraySum);
            }
        }
    }
}
