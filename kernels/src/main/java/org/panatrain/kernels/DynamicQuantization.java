// The 8-bit "dynamic" quantization maps of bitsandbytes' 8-bit optimizers (Dettmers et al. 2022,
// "8-bit Optimizers via Block-wise Quantization"; the dynamic type of Dettmers 2016): 256 values
// in [-1, 1] (signed, for the first moment) or [0, 1] (unsigned, for the second), dense near
// 1 and spread over seven decades down to ~1e-6, so that small moments keep a relative precision.
// Built as bitsandbytes' functional.create_dynamic_map(signed, max_exponent_bits=7, total_bits=8):
// for each decade i = 0..6, the midpoints of linspace(0.1, 1, k + 1) times 10^(i-6), with k = 2^i
// values (signed, and their negatives too) or k = 2^(i+1) (unsigned); then 0 and 1; sorted.
// Signed: 2 x 127 + 2 = 256 values, from -0.99296875 to 1; unsigned: 254 + 2, from 0 to 1.
// A value is encoded as the index of the nearest map entry (ties to the lower index).
// The one source of both backends' maps: the CPU backend reads these tables, the CUDA backend
// uploads values() and boundaries(). The code of x is the number of boundaries below x: the CUDA
// kernel counts them with an 8-step binary search (native-src/adamw8bit.cu); the CPU, where that
// search's unpredictable branches dominate the 8-bit optimizer's step, looks up the count below
// the smallest float sharing x's top 17 bits (sign, exponent, 8 mantissa bits: 0.4% relative
// width, finer than the maps' densest spacing, so such a range holds at most one boundary, which
// the constructor proves) and adds 1 if that one boundary is below x: the same count, exactly.
package org.panatrain.kernels;

import java.util.Arrays;

/**
 * A 256-entry quantization map and nearest-entry encoding.
 *
 * <pre>{@code
 * int code = DynamicQuantization.SIGNED.encode(m / absmax);    // 0..255
 * float m2 = DynamicQuantization.SIGNED.decode(code) * absmax;
 * }</pre>
 */
public final class DynamicQuantization {
    /** The map of bitsandbytes' first moments (create_dynamic_map(signed=True)). */
    public static final DynamicQuantization SIGNED = new DynamicQuantization(build(true));
    /** The map of bitsandbytes' second moments (create_dynamic_map(signed=False)). */
    public static final DynamicQuantization UNSIGNED = new DynamicQuantization(build(false));

    private static final int EXPONENT_BITS = 7;

    /** Low float bits dropped to form a lookup key. */
    private static final int KEY_SHIFT = 15;

    private final float[] values;     // (256) ascending
    private final float[] boundaries; // (255) midpoints between neighbouring values
    private final float[] nextBoundary; // (256) the boundaries, then MAX_VALUE: above every finite x
    private final byte[] countBelowKey; // (2^17) boundaries below the smallest float of each finite key

    private DynamicQuantization(float[] values) {
        this.values = values;
        this.boundaries = new float[values.length - 1];
        for (int i = 0; i < boundaries.length; i++) {
            boundaries[i] = (values[i] + values[i + 1]) / 2;
        }
        this.nextBoundary = Arrays.copyOf(boundaries, values.length);
        nextBoundary[boundaries.length] = Float.MAX_VALUE;
        this.countBelowKey = new byte[1 << (32 - KEY_SHIFT)];
        for (int key = 0; key < countBelowKey.length; key++) {
            float a = Float.intBitsToFloat(key << KEY_SHIFT);
            float b = Float.intBitsToFloat((key << KEY_SHIFT) | ((1 << KEY_SHIFT) - 1));
            if (!Float.isFinite(a) || !Float.isFinite(b)) {
                continue; // infinities and NaNs: encode searches
            }
            int ca = search(a);
            int cb = search(b);
            if (Math.abs(ca - cb) > 1) {
                throw new AssertionError("floats between " + a + " and " + b + " straddle " + Math.abs(ca - cb) + " boundaries");
            }
            countBelowKey[key] = (byte) Math.min(ca, cb);
        }
    }

    private static float[] build(boolean signed) {
        double[] data = new double[256];
        int n = 0;
        for (int i = 0; i < EXPONENT_BITS; i++) {
            int k = signed ? 1 << i : 1 << (i + 1); // values in this decade
            double scale = Math.pow(10, i - (EXPONENT_BITS - 1));
            for (int j = 0; j < k; j++) {
                // midpoint of the j-th interval of linspace(0.1, 1, k + 1)
                double mean = 0.1 + 0.9 * (j + 0.5) / k;
                data[n++] = scale * mean;
                if (signed) {
                    data[n++] = -scale * mean;
                }
            }
        }
        data[n++] = 0;
        data[n++] = 1;
        if (n != data.length) {
            throw new AssertionError(n + " map values, expected 256");
        }
        Arrays.sort(data);
        float[] values = new float[data.length];
        for (int i = 0; i < data.length; i++) {
            values[i] = (float) data[i];
        }
        return values;
    }

    /** The 256 values, ascending (a copy). */
    public float[] values() {
        return values.clone();
    }

    /** The 255 midpoints between neighbouring values, ascending (a copy): encode counts those below x. */
    public float[] boundaries() {
        return boundaries.clone();
    }

    /** The value of {@code code} (0..255). */
    public float decode(int code) {
        return values[code];
    }

    /** The code (0..255) of the map value nearest to {@code x}; x outside the map's range takes its end. */
    public int encode(float x) {
        if (!(Math.abs(x) <= Float.MAX_VALUE)) {
            return search(x); // infinite or NaN
        }
        int below = countBelowKey[Float.floatToRawIntBits(x) >>> KEY_SHIFT] & 0xFF;
        // + 1 if nextBoundary[below] < x: the sign of the difference, exact (a float difference is 0 only for equal
        // operands), without a branch
        return below + (Float.floatToRawIntBits(nextBoundary[below] - x) >>> 31);
    }

    /** The number of boundaries below x by binary search. */
    private int search(float x) {
        // the number of boundaries below x, found in 8 halving steps without a data-dependent
        // loop exit: before step s at most 256 - 2s were counted, so the index read is <= 254
        int below = 0;
        for (int step = 128; step > 0; step >>= 1) {
            if (boundaries[below + step - 1] < x) {
                below += step;
            }
        }
        return below;
    }
}
