// CPU emulation against per-element references written here: rounding through every float dtype
// equals DType.decode(DType.encode(x)) element by element, the scaled FP8 round trip equals
// decode(encode(clamp(x * scale))) / scale with max |x| as amax, TF32 rounding equals a float64
// round-half-away of x in units of its TF32 step, and a tf32 emulated matmul reads rounded inputs.
package org.panatrain.engine.precision;

import static org.assertj.core.api.Assertions.assertThat;

import java.lang.foreign.Arena;
import java.util.Arrays;
import java.util.Random;
import org.junit.jupiter.api.Test;
import org.panatrain.kernels.cpu.CpuKernels;
import org.panatrain.memory.DType;
import org.panatrain.memory.Tensor;

class PrecisionEmulationTest {
    static final float[] SPECIAL = {0f, -0f, 1f, -1f, 448f, 464f, -500f, 57344f, 61440f, 65504f, 65520f, 1e-8f, -3e-5f,
            Float.MIN_VALUE, Float.MAX_VALUE, Float.POSITIVE_INFINITY, Float.NEGATIVE_INFINITY, Float.NaN};

    @Test
    void roundingEqualsEncodeDecodePerElement() {
        float[] values = values(10_000, 3);
        for (DType type : new DType[] {DType.BF16, DType.FP16, DType.FP8_E4M3, DType.FP8_E5M2, DType.FP32}) {
            try (Arena arena = Arena.ofConfined()) {
                Tensor t = tensor(arena, values);
                PrecisionEmulation.round(t, type);
                float[] got = t.toFloatArray();
                for (int i = 0; i < values.length; i++) {
                    float expected = type.decode(type.encode(values[i]));
                    assertThat(Float.floatToIntBits(got[i])).as("%s of %s", type, values[i])
                            .isEqualTo(Float.floatToIntBits(expected));
                }
            }
        }
    }

    @Test
    void bf16RoundingOfKnownValues() {
        try (Arena arena = Arena.ofConfined()) {
            // 1 + 2^-8 is a tie between 1 and 1 + 2^-7: to even, 1. 1 + 3*2^-9 rounds up to 1 + 2^-7.
            Tensor t = tensor(arena, new float[] {1f + 0x1p-8f, 1f + 3 * 0x1p-9f, 3.0f});
            PrecisionEmulation.round(t, DType.BF16);
            assertThat(t.toFloatArray()).containsExactly(1f, 1f + 0x1p-7f, 3.0f);
        }
    }

    @Test
    void scaledFp8RoundTripPerElementWithAmax() {
        float[] values = values(4_000, 5);
        for (DType type : new DType[] {DType.FP8_E4M3, DType.FP8_E5M2}) {
            float max = type == DType.FP8_E4M3 ? 448f : 57344f;
            for (float scale : new float[] {1f, 37.5f, 1f / 1024}) {
                float[] finite = finiteOnly(values);
                try (Arena arena = Arena.ofConfined()) {
                    Tensor t = tensor(arena, finite);
                    float amax = PrecisionEmulation.quantizeDequantize(t, type, scale);
                    float expectedAmax = 0f;
                    float[] got = t.toFloatArray();
                    for (int i = 0; i < finite.length; i++) {
                        expectedAmax = Math.max(expectedAmax, Math.abs(finite[i]));
                        float saturated = Math.max(-max, Math.min(max, finite[i] * scale));
                        float expected = type.decode(type.encode(saturated)) * (1f / scale);
                        assertThat(Float.floatToIntBits(got[i])).as("%s scale %s of %s", type, scale, finite[i])
                                .isEqualTo(Float.floatToIntBits(expected));
                    }
                    assertThat(amax).isEqualTo(expectedAmax);
                }
            }
        }
    }

    @Test
    void scaledFp8SaturatesInfinityAndReportsNaNAmax() {
        try (Arena arena = Arena.ofConfined()) {
            Tensor t = tensor(arena, new float[] {Float.POSITIVE_INFINITY, -1e6f, 2f});
            assertThat(PrecisionEmulation.quantizeDequantize(t, DType.FP8_E5M2, 2f)).isEqualTo(Float.POSITIVE_INFINITY);
            assertThat(t.toFloatArray()).containsExactly(28672f, -28672f, 2f);
            Tensor n = tensor(arena, new float[] {1f, Float.NaN, 3f});
            assertThat(PrecisionEmulation.quantizeDequantize(n, DType.FP8_E4M3, 1f)).isNaN();
            assertThat(n.getFloat(1)).isNaN();
        }
    }

    @Test
    void tf32RoundingOfKnownValues() {
        // 1 + 2^-11 is a tie between 1 and 1 + 2^-10: away from zero, 1 + 2^-10 (to even would give 1).
        float[] in = {1f + 0x1p-11f, -(1f + 0x1p-11f), 1f + 0x1p-11f - 0x1p-23f, 2f - 0x1p-12f, Float.MAX_VALUE,
                Float.MIN_VALUE, 0f, Float.NaN, Float.NEGATIVE_INFINITY};
        float[] expected = {1f + 0x1p-10f, -(1f + 0x1p-10f), 1f, 2f, Float.POSITIVE_INFINITY, 0f, 0f, Float.NaN,
                Float.NEGATIVE_INFINITY};
        try (Arena arena = Arena.ofConfined()) {
            Tensor t = tensor(arena, in);
            PrecisionEmulation.roundTf32(t);
            assertThat(t.toFloatArray()).containsExactly(expected);
        }
    }

    @Test
    void tf32RoundingEqualsHalfAwayInTf32StepsPerElement() {
        float[] values = finiteOnly(values(10_000, 7));
        try (Arena arena = Arena.ofConfined()) {
            Tensor t = tensor(arena, values);
            PrecisionEmulation.roundTf32(t);
            float[] got = t.toFloatArray();
            for (int i = 0; i < values.length; i++) {
                double step = Math.ulp(values[i]) * 0x1p13;   // FP32 has 13 mantissa bits more than TF32
                double units = Math.floor(Math.abs(values[i]) / step + 0.5);
                float expected = (float) Math.copySign(units * step, values[i]);
                assertThat(Float.floatToIntBits(got[i])).as("tf32 of %s", values[i])
                        .isEqualTo(Float.floatToIntBits(expected));
            }
        }
    }

    @Test
    void tf32EmulatedMatmulReadsRoundedInputs() {
        try (Arena arena = Arena.ofConfined();
             EmulatedPrecisionKernels tf32 = new EmulatedPrecisionKernels(CpuKernels.create(1), PrecisionPolicy.of(Precision.TF32));
             EmulatedPrecisionKernels fp32 = new EmulatedPrecisionKernels(CpuKernels.create(1), PrecisionPolicy.of(Precision.FP32))) {
            Tensor a = tensor(arena, new float[] {1f + 0x1p-11f, 3f});   // (1, 2)
            Tensor b = tensor(arena, new float[] {1f, 0x1p-12f});        // (2, 1)
            Tensor out = tensor(arena, new float[] {Float.NaN});         // (1, 1), poisoned
            Tensor a2 = Tensor.host(a.data(), DType.FP32, 1, 2);
            Tensor b2 = Tensor.host(b.data(), DType.FP32, 2, 1);
            Tensor out2 = Tensor.host(out.data(), DType.FP32, 1, 1);
            tf32.matmul(out2, a2, false, b2, false, null, false);
            assertThat(out.getFloat(0)).isEqualTo(1f + 0x1p-10f + 3 * 0x1p-12f);
            fp32.matmul(out2, a2, false, b2, false, null, false);
            assertThat(out.getFloat(0)).isEqualTo(1f + 0x1p-11f + 3 * 0x1p-12f);
            assertThat(a.toFloatArray()).containsExactly(1f + 0x1p-11f, 3f);   // inputs rounded in a copy
        }
    }

    /** Gaussians over many binades, with the special values mixed in. */
    private static float[] values(int n, long seed) {
        Random random = new Random(seed);
        float[] out = new float[n];
        for (int i = 0; i < n; i++) {
            out[i] = i < SPECIAL.length ? SPECIAL[i] : (float) (random.nextGaussian() * Math.pow(2, random.nextInt(40) - 24));
        }
        return out;
    }

    private static float[] finiteOnly(float[] values) {
        float[] out = new float[values.length];
        int n = 0;
        for (float v : values) {
            if (Float.isFinite(v)) {
                out[n++] = v;
            }
        }
        return Arrays.copyOf(out, n);
    }

    private static Tensor tensor(Arena arena, float[] values) {
        Tensor t = Tensor.host(arena.allocate(4L * values.length, 64), DType.FP32, values.length);
        t.copyFrom(values);
        return t;
    }
}
