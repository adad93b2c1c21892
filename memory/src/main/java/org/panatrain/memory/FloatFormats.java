// Bit-exact conversions between FP32 and the narrower element types (BF16, FP16, FP8 E4M3/E5M2,
// INT8, UINT16, INT32): one value at a time and in bulk between memory segments. Leaves out
// stochastic rounding and per-tensor scaling (the FP8 recipe applies its scale before calling here).
package org.panatrain.memory;

import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.ByteOrder;

/**
 * Conversions between {@code float} and the codes of every {@link DType}. A code is the raw bit
 * pattern of one element in the low {@code 8 * byteSize} bits of an int, unsigned
 * ({@code encode(INT8, -1f) == 0xFF}). All roundings are to nearest, ties to even. NaN stays NaN
 * (quiet, same sign, top payload bits kept where the format has room). FP16 and E5M2 overflow to
 * infinity; E4M3 (OCP FP8: bias 7, no infinity, NaN = S.1111.111) saturates finite overflow and
 * infinity to &plusmn;448. The integer types round to nearest even, saturate, and take NaN to 0.
 * Segments hold little-endian elements at any alignment.
 *
 * <pre>{@code
 * int code = FloatFormats.encode(DType.FP8_E4M3, 1000f);   // 0x7E, i.e. 448
 * float x = FloatFormats.decode(DType.BF16, 0x3F80);       // 1.0f
 * FloatFormats.encode(DType.BF16, f32Segment, bf16Segment, n);
 * }</pre>
 */
public final class FloatFormats {
    private FloatFormats() {
    }

    /**
     * A binary floating-point format narrower than FP32: {@code exponentBits} and
     * {@code mantissaBits} (without the implicit one), exponent {@code bias}, and whether the
     * all-ones exponent means infinity/NaN (IEEE) or, as in E4M3, only S.1111.111 is NaN.
     */
    private record SmallFloat(int exponentBits, int mantissaBits, int bias, boolean ieee) {
        int signShift() {
            return exponentBits + mantissaBits;
        }

        int maxExponentField() {
            return (1 << exponentBits) - 1;
        }

        /** Code (without sign) of the largest finite magnitude. */
        int maxFiniteCode() {
            return ieee ? (maxExponentField() << mantissaBits) - 1 : (1 << signShift()) - 2;
        }

        /** Code (without sign) of +infinity; only meaningful for IEEE formats. */
        int infinityCode() {
            return maxExponentField() << mantissaBits;
        }

        /** Unbiased exponent of the largest finite magnitude. */
        int maxExponent() {
            return (maxFiniteCode() >>> mantissaBits) - bias;
        }

        /** Unbiased exponent of the smallest normal magnitude. */
        int minExponent() {
            return 1 - bias;
        }

        boolean isNaN(int code) {
            int magnitude = code & ((1 << signShift()) - 1);
            int mantissaMask = (1 << mantissaBits) - 1;
            return ieee
                    ? (magnitude >>> mantissaBits) == maxExponentField() && (magnitude & mantissaMask) != 0
                    : magnitude == (1 << signShift()) - 1;
        }

        float decode(int code) {
            int sign = (code >>> signShift()) & 1;
            int exponentField = (code >>> mantissaBits) & maxExponentField();
            int mantissa = code & ((1 << mantissaBits) - 1);
            if (isNaN(code)) {
                // Quiet NaN of the same sign; the payload bits move to the top of FP32's mantissa.
                return Float.intBitsToFloat(sign << 31 | 0x7FC00000 | mantissa << (23 - mantissaBits));
            }
            if (ieee && exponentField == maxExponentField()) {
                return sign == 0 ? Float.POSITIVE_INFINITY : Float.NEGATIVE_INFINITY;
            }
            // Exact: every value of these formats is an FP32 value (normal or subnormal).
            int significand = exponentField == 0 ? mantissa : mantissa | 1 << mantissaBits;
            int quantumExponent = Math.max(exponentField, 1) - bias - mantissaBits;
            float magnitude = significand * Math.scalb(1f, quantumExponent);
            return sign == 0 ? magnitude : -magnitude;
        }

        int encode(float value) {
            int bits = Float.floatToRawIntBits(value);
            int sign = (bits >>> 31) << signShift();
            int exponentField = (bits >>> 23) & 0xFF;
            int mantissa = bits & 0x7FFFFF;
            if (exponentField == 0xFF) {
                if (mantissa != 0) {
                    return ieee
                            ? sign | infinityCode() | 1 << (mantissaBits - 1) | mantissa >>> (23 - mantissaBits)
                            : sign | (1 << signShift()) - 1;
                }
                return sign | (ieee ? infinityCode() : maxFiniteCode());
            }
            if (exponentField == 0 && mantissa == 0) {
                return sign;
            }
            // |value| = significand * 2^quantum, significand < 2^24 (FP32 subnormals included).
            int significand = exponentField == 0 ? mantissa : mantissa | 1 << 23;
            int quantum = Math.max(exponentField, 1) - 150;
            int exponent = 31 - Integer.numberOfLeadingZeros(significand) + quantum;
            if (exponent > maxExponent()) {
                return sign | overflowCode();
            }
            int targetExponent = Math.max(exponent, minExponent());
            int shift = targetExponent - mantissaBits - quantum; // bits of the significand to drop
            int rounded = shift <= 0 ? significand << -shift : roundShiftRightEven(significand, shift);
            // Subnormals have exponent field 0 and the same quantum as the smallest normals, so a
            // significand that rounds up past 2^mantissaBits carries into the exponent by itself.
            int code = ((targetExponent + bias - 1) << mantissaBits) + rounded;
            return sign | (code > maxFiniteCode() ? overflowCode() : code);
        }

        private int overflowCode() {
            return ieee ? infinityCode() : maxFiniteCode();
        }
    }

    private static final SmallFloat HALF = new SmallFloat(5, 10, 15, true);
    private static final SmallFloat E4M3 = new SmallFloat(4, 3, 7, false);
    private static final SmallFloat E5M2 = new SmallFloat(5, 2, 15, true);

    /** Decoded value of every code, built once: the bulk and scalar decoders just index these. */
    private static final float[] HALF_TABLE = table(HALF);
    private static final float[] E4M3_TABLE = table(E4M3);
    private static final float[] E5M2_TABLE = table(E5M2);

    private static float[] table(SmallFloat format) {
        float[] t = new float[1 << (format.signShift() + 1)];
        for (int code = 0; code < t.length; code++) {
            t[code] = format.decode(code);
        }
        return t;
    }

    /** {@code x >> shift} rounded to nearest, ties to even; 0 < shift, x >= 0. */
    private static int roundShiftRightEven(int x, int shift) {
        if (shift > 30) {
            return 0; // x < 2^24 is below half of 2^shift
        }
        int kept = x >>> shift;
        int remainder = x & ((1 << shift) - 1);
        int half = 1 << (shift - 1);
        return remainder > half || (remainder == half && (kept & 1) == 1) ? kept + 1 : kept;
    }

    /** The value of {@code code} (low bits used) as a float. */
    public static float decode(DType type, int code) {
        return switch (type) {
            case FP32 -> Float.intBitsToFloat(code);
            case BF16 -> decodeBf16(code);
            case FP16 -> HALF_TABLE[code & 0xFFFF];
            case FP8_E4M3 -> E4M3_TABLE[code & 0xFF];
            case FP8_E5M2 -> E5M2_TABLE[code & 0xFF];
            case INT8 -> (byte) code;
            case UINT16 -> code & 0xFFFF;
            case INT32 -> code;
        };
    }

    /** The code of {@code value} rounded to nearest even, in the low bits, unsigned. */
    public static int encode(DType type, float value) {
        return switch (type) {
            case FP32 -> Float.floatToRawIntBits(value);
            case BF16 -> encodeBf16(value);
            case FP16 -> HALF.encode(value);
            case FP8_E4M3 -> E4M3.encode(value);
            case FP8_E5M2 -> E5M2.encode(value);
            case INT8 -> roundToInt(value, -128, 127) & 0xFF;
            case UINT16 -> roundToInt(value, 0, 0xFFFF);
            case INT32 -> (int) Math.rint(value); // the cast saturates and takes NaN to 0
        };
    }

    /** BF16 is the top half of FP32; a signaling NaN comes back quiet, as every NaN here does. */
    private static float decodeBf16(int code) {
        int bits = code << 16;
        return Float.intBitsToFloat((bits & 0x7FFFFFFF) > 0x7F800000 ? bits | 0x00400000 : bits);
    }

    /** BF16 is the top half of FP32: round the low half away, to nearest even, on the bits. */
    private static int encodeBf16(float value) {
        int bits = Float.floatToRawIntBits(value);
        if ((bits & 0x7FFFFFFF) > 0x7F800000) {
            return (bits >>> 16) | 0x0040; // NaN: keep sign and top payload, set the quiet bit
        }
        // Adding 0x7FFF plus the kept lowest bit carries exactly when the dropped half is above
        // one half, or equal to it with an odd kept part; a carry out of the mantissa is the
        // correct next exponent, and out of the largest finite value gives infinity.
        return (bits + 0x7FFF + ((bits >>> 16) & 1)) >>> 16;
    }

    private static int roundToInt(float value, int min, int max) {
        if (Float.isNaN(value)) {
            return 0;
        }
        return (int) Math.max(min, Math.min(max, Math.rint(value)));
    }

    private static final ValueLayout.OfFloat F32 = ValueLayout.JAVA_FLOAT_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);
    private static final ValueLayout.OfShort I16 = ValueLayout.JAVA_SHORT_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);
    private static final ValueLayout.OfInt I32 = ValueLayout.JAVA_INT_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);
    private static final ValueLayout.OfByte I8 = ValueLayout.JAVA_BYTE;

    /** Elements converted per round trip through heap arrays: small enough to stay in L1/L2. */
    private static final int CHUNK = 4096;

    /**
     * Encodes {@code count} FP32 values of {@code srcF32} into {@code count} elements of
     * {@code type} in {@code dst}.
     */
    public static void encode(DType type, MemorySegment srcF32, MemorySegment dst, long count) {
        checkSizes(srcF32, 4, dst, type.byteSize(), count);
        if (type == DType.FP32) {
            MemorySegment.copy(srcF32, 0, dst, 0, count * 4);
            return;
        }
        float[] in = new float[(int) Math.min(CHUNK, count)];
        int[] codes = new int[in.length];
        for (long done = 0; done < count; done += in.length) {
            int n = (int) Math.min(in.length, count - done);
            MemorySegment.copy(srcF32, F32, done * 4, in, 0, n);
            for (int i = 0; i < n; i++) {
                codes[i] = encode(type, in[i]);
            }
            storeCodes(type, codes, dst, done, n);
        }
    }

    /**
     * Decodes {@code count} elements of {@code type} in {@code src} into {@code count} FP32
     * values in {@code dstF32}.
     */
    public static void decode(DType type, MemorySegment src, MemorySegment dstF32, long count) {
        checkSizes(dstF32, 4, src, type.byteSize(), count);
        if (type == DType.FP32) {
            MemorySegment.copy(src, 0, dstF32, 0, count * 4);
            return;
        }
        int[] codes = new int[(int) Math.min(CHUNK, count)];
        float[] out = new float[codes.length];
        for (long done = 0; done < count; done += codes.length) {
            int n = (int) Math.min(codes.length, count - done);
            loadCodes(type, src, done, codes, n);
            for (int i = 0; i < n; i++) {
                out[i] = decode(type, codes[i]);
            }
            MemorySegment.copy(out, 0, dstF32, F32, done * 4, n);
        }
    }

    private static void storeCodes(DType type, int[] codes, MemorySegment dst, long first, int n) {
        long base = first * type.byteSize();
        switch (type.byteSize()) {
            case 1 -> {
                for (int i = 0; i < n; i++) {
                    dst.set(I8, base + i, (byte) codes[i]);
                }
            }
            case 2 -> {
                for (int i = 0; i < n; i++) {
                    dst.set(I16, base + 2L * i, (short) codes[i]);
                }
            }
            default -> MemorySegment.copy(codes, 0, dst, I32, base, n);
        }
    }

    private static void loadCodes(DType type, MemorySegment src, long first, int[] codes, int n) {
        long base = first * type.byteSize();
        switch (type.byteSize()) {
            case 1 -> {
                for (int i = 0; i < n; i++) {
                    codes[i] = src.get(I8, base + i) & 0xFF;
                }
            }
            case 2 -> {
                for (int i = 0; i < n; i++) {
                    codes[i] = src.get(I16, base + 2L * i) & 0xFFFF;
                }
            }
            default -> MemorySegment.copy(src, I32, base, codes, 0, n);
        }
    }

    private static void checkSizes(MemorySegment f32, int f32Size, MemorySegment other, int otherSize, long count) {
        if (count < 0 || f32.byteSize() < count * f32Size || other.byteSize() < count * otherSize) {
            throw new IllegalArgumentException("cannot convert " + count + " elements between segments of "
                    + f32.byteSize() + " (FP32) and " + other.byteSize() + " bytes");
        }
    }
}
