// CPU emulation of the narrow formats: rounding a host FP32 tensor through BF16/FP16/FP8 in place
// with DType's bit-exact conversions, TF32 rounding of FP32 matmul inputs, and the scaled FP8
// quantize/dequantize of the FP8 recipe. These are the building blocks that let every precision
// path run on a machine without a GPU. Leaves out stochastic rounding and the placement of these
// calls in a training step.
package org.panatrain.engine.precision;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import org.panatrain.memory.DType;
import org.panatrain.memory.FloatFormats;
import org.panatrain.memory.Tensor;

/**
 * Rounding of host FP32 tensors, in place.
 *
 * <pre>{@code
 * PrecisionEmulation.round(activation, DType.BF16);          // as if stored in BF16
 * PrecisionEmulation.roundTf32(matmulInput);                 // as a TF32 Tensor Core reads it
 * float amax = PrecisionEmulation.quantizeDequantize(x, DType.FP8_E4M3, scaling.scale());
 * scaling.update(amax);
 * }</pre>
 */
public final class PrecisionEmulation {
    private PrecisionEmulation() {
    }

    /**
     * Replaces every element of the host FP32 tensor {@code t} by its value after a round trip
     * through {@code through} (to nearest even, with that format's overflow rule: FP16 and E5M2
     * to infinity, E4M3 saturating to &plusmn;448, BF16 to infinity).
     */
    public static void round(Tensor t, DType through) {
        requireHostFp32(t);
        if (!through.isFloat()) {
            throw new IllegalArgumentException("cannot round through non-float dtype " + through);
        }
        if (through == DType.FP32) {
            return;
        }
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment codes = arena.allocate(t.numel() * through.byteSize(), 64);
            FloatFormats.encode(through, t.data(), codes, t.numel());
            FloatFormats.decode(through, codes, t.data(), t.numel());
        }
    }

    /**
     * Rounds every element of the host FP32 tensor {@code t} to TF32 (8 exponent bits, 10 mantissa
     * bits, kept in FP32 storage) to nearest with ties away from zero, as PTX's
     * {@code cvt.rna.tf32.f32} does (CUTLASS's rounding TF32 conversion). Infinities and NaN stay;
     * a value that rounds past TF32's largest finite value becomes infinity. A Tensor Core fed FP32
     * operands may drop the low 13 bits instead; either way each input carries a relative error
     * of at most 2^-10, the TF32 precision this emulates.
     */
    public static void roundTf32(Tensor t) {
        requireHostFp32(t);
        long n = t.numel();
        for (long i = 0; i < n; i++) {
            t.setFloat(i, roundTf32(t.getFloat(i)));
        }
    }

    /** {@code x} rounded to TF32 as {@link #roundTf32(Tensor)} does. */
    public static float roundTf32(float x) {
        if (!Float.isFinite(x)) {
            return x;
        }
        // Adding half of the dropped 13-bit field to the magnitude bits, then truncating, rounds
        // the magnitude to nearest with ties up, i.e. ties away from zero; a carry moves the exponent.
        int bits = Float.floatToRawIntBits(x);
        return Float.intBitsToFloat((bits + 0x1000) & 0xFFFF_E000);
    }

    /**
     * The scaled FP8 cast and its inverse, in place on the host FP32 tensor {@code t}: each x
     * becomes fp8(sat(x * scale)) * (1/scale), where sat clamps to the format's largest finite
     * value (CUDA's saturating __NV_SATFINITE conversion; NaN stays NaN). Returns the amax of the
     * values before the cast, max |x|, NaN if any x is NaN: what the casting kernel reports for
     * {@link Fp8DelayedScaling#update(float)}.
     */
    public static float quantizeDequantize(Tensor t, DType fp8, float scale) {
        requireHostFp32(t);
        float max = Fp8DelayedScaling.fp8Max(fp8);
        long n = t.numel();
        float amax = 0f;
        for (long i = 0; i < n; i++) {
            float x = t.getFloat(i);
            float magnitude = Math.abs(x);
            amax = Float.isNaN(magnitude) || Float.isNaN(amax) ? Float.NaN : Math.max(amax, magnitude);
            float scaled = x * scale;
            t.setFloat(i, Float.isNaN(scaled) ? scaled : Math.max(-max, Math.min(max, scaled)));
        }
        round(t, fp8);
        float inverse = 1f / scale;
        for (long i = 0; i < n; i++) {
            t.setFloat(i, t.getFloat(i) * inverse);
        }
        return amax;
    }

    private static void requireHostFp32(Tensor t) {
        if (t.dtype() != DType.FP32 || t.location() != Tensor.Location.HOST) {
            throw new IllegalArgumentException("precision emulation needs a host FP32 tensor, got " + t);
        }
    }
}
