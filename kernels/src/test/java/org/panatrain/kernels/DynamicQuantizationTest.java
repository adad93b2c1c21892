// The dynamic maps against values worked out by hand from bitsandbytes' create_dynamic_map
// (decade i = 0..6 holds the midpoints of linspace(0.1, 1, k + 1) times 10^(i-6)), and encoding
// against a brute-force nearest-value search, and at every boundary (ties), one ulp around it and
// beyond the range against the rule written out: the code is the number of midpoints below x.
package org.panatrain.kernels;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.data.Offset.offset;

import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import org.junit.jupiter.api.Test;

class DynamicQuantizationTest {

    @Test
    void signedMapHas127ValuesPerSignPlusZeroAndOne() {
        float[] v = DynamicQuantization.SIGNED.values();
        assertThat(v).hasSize(256).isSorted().contains(0f, 1f);
        // the top decade holds k = 64 midpoints of [0.1, 1]: the last is 1 - 0.9 / 128
        assertThat(v[0]).isCloseTo(-0.99296875f, offset(1e-7f));
        assertThat(v[254]).isCloseTo(0.99296875f, offset(1e-7f));
        // the lowest decade holds one value, 1e-6 * 0.55, and its negative, nearest to zero
        assertThat(v[128]).isCloseTo(5.5e-7f, offset(1e-12f));
        assertThat(v[126]).isCloseTo(-5.5e-7f, offset(1e-12f));
        // decade i (values between 1e-7 * 10^i and 1e-6 * 10^i) has 2^i values of each sign
        for (int i = 0; i < 7; i++) {
            double lo = 1e-7 * Math.pow(10, i);
            double hi = 1e-6 * Math.pow(10, i);
            long count = 0;
            for (float x : v) {
                count += x > lo && x < hi ? 1 : 0;
            }
            assertThat(count).as("decade %d", i).isEqualTo(1L << i);
        }
    }

    @Test
    void unsignedMapHasTwiceTheValuesPerDecade() {
        float[] v = DynamicQuantization.UNSIGNED.values();
        assertThat(v).hasSize(256).isSorted();
        assertThat(v[0]).isZero();
        assertThat(v[1]).isCloseTo(3.25e-7f, offset(1e-12f)); // (0.1 + 0.55) / 2 * 1e-6
        assertThat(v[254]).isCloseTo(1 - 0.9f / 256, offset(1e-7f));
        assertThat(v[255]).isEqualTo(1f);
    }

    @Test
    void encodeFindsTheNearestValue() {
        Random random = new Random(3);
        for (DynamicQuantization map : new DynamicQuantization[] {DynamicQuantization.SIGNED, DynamicQuantization.UNSIGNED}) {
            float[] v = map.values();
            for (int n = 0; n < 20_000; n++) {
                // uniform in [-1, 1], and log-uniform down to 1e-8 to reach the small decades
                float x = n % 2 == 0 ? 2 * random.nextFloat() - 1
                        : (float) ((random.nextBoolean() ? 1 : -1) * Math.pow(10, -8 * random.nextDouble()));
                int best = 0;
                for (int c = 1; c < 256; c++) {
                    if (Math.abs(v[c] - x) < Math.abs(v[best] - x)) {
                        best = c;
                    }
                }
                int code = map.encode(x);
                assertThat(Math.abs(map.decode(code) - x)).as("x = %s", x).isEqualTo(Math.abs(v[best] - x));
            }
        }
    }

    @Test
    void encodeCountsTheBoundariesBelowAtEveryBoundaryAndBeyondTheRange() {
        for (DynamicQuantization map : new DynamicQuantization[] {DynamicQuantization.SIGNED, DynamicQuantization.UNSIGNED}) {
            float[] v = map.values();
            List<Float> xs = new ArrayList<>(List.of(0f, -0f, Float.MIN_VALUE, -Float.MIN_VALUE,
                    2f, -2f, Float.MAX_VALUE, -Float.MAX_VALUE, Float.POSITIVE_INFINITY, Float.NEGATIVE_INFINITY, Float.NaN));
            for (int c = 0; c < 255; c++) {
                float midpoint = (v[c] + v[c + 1]) / 2; // a tie: the lower code; one ulp above: the upper
                xs.addAll(List.of(Math.nextDown(midpoint), midpoint, Math.nextUp(midpoint), v[c]));
            }
            for (float x : xs) {
                int below = 0; // the rule written out: how many midpoints lie strictly below x
                for (int c = 0; c < 255; c++) {
                    below += (v[c] + v[c + 1]) / 2 < x ? 1 : 0;
                }
                assertThat(map.encode(x)).as("x = %s", x).isEqualTo(below);
            }
        }
    }
}
