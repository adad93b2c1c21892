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
    private record SmallFloat(
            int mantissaBits,
            int bias,
            boolean ieee,
            int signShift,
            int maxExponentField,
            int overflowCode,     // what finite overflow and infinity become
            int nanCode,          // magnitude code of the quiet NaN
            int minNormalBits,    // FP32 bits of the smallest normal value of the format
            int overflowBits,     // FP32 bits from which on values round past the largest finite one
            float subnormalMagic, // 2^(emin - mantissaBits + 23): its FP32 ulp is the subnormal step
            int rebias) {         // (127 - bias) << mantissaBits
        // A record so that the JIT trusts its final fields as constants in the static instances.

        static SmallFloat of(int exponentBits, int mantissaBits, int bias, boolean ieee) {
            int signShift = exponentBits + mantissaBits;
            int maxExponentField = (1 << exponentBits) - 1;
            int infinityCode = maxExponentField << mantissaBits;
            int maxFiniteCode = ieee ? infinityCode - 1 : (1 << signShift) - 2;
            int minExponent = 1 - bias;
            int rebias = (127 - bias) << mantissaBits;
            // From halfway between the largest finite value and the step above it, values leave
            // the finite range: in IEEE formats the largest mantissa is all ones (odd), so the
            // tie goes up to infinity; E4M3 saturates, so the tie's direction does not matter.
            int overflowBits = ((maxFiniteCode + rebias) << (23 - mantissaBits)) + (1 << (22 - mantissaBits));
            return new SmallFloat(mantissaBits, bias, ieee, signShift, maxExponentField,
                    ieee ? infinityCode : maxFiniteCode,
                    ieee ? infinityCode | 1 << (mantissaBits - 1) : (1 << signShift) - 1,
                    (minExponent + 127) << 23, overflowBits,
                    Math.scalb(1f, minExponent - mantissaBits + 23), rebias);
        }

        boolean isNaN(int code) {
            int magnitude = code & ((1 << signShift) - 1);
            int mantissaMask = (1 << mantissaBits) - 1;
            return ieee
                    ? (magnitude >>> mantissaBits) == maxExponentField && (magnitude & mantissaMask) != 0
                    : magnitude == (1 << signShift) - 1;
        }

        float decode(int code) {
            int sign = (code >>> signShift) & 1;
            int exponentField = (code >>> mantissaBits) & maxExponentField;
            int mantissa = code & ((1 << mantissaBits) - 1);
            if (isNaN(code)) {
                // Quiet NaN of the same sign; the payload bits move to the top of FP32's mantissa.
                return Float.intBitsToFloat(sign << 31 | 0x7FC00000 | mantissa << (23 - mantissaBits));
            }
            if (ieee && exponentField == maxExponentField) {
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
            int sign = (bits >>> 31) << signShift;
            int abs = bits & 0x7FFFFFFF;
            if (abs >= overflowBits) {
                if (abs > 0x7F800000) {
                    // NaN: quiet, same sign, the top payload bits where the format has room.
                    return sign | nanCode | (ieee ? (abs & 0x7FFFFF) >>> (23 - mantissaBits) : 0);
                }
                return sign | overflowCode; // rounds past the largest finite value, or is infinite
            }
            if (abs < minNormalBits) {
                // Below the format's normal range (FP32 subnormals included): adding the magic
                // number makes the FPU round to the subnormal step, to nearest even, and the
                // step count is left in the low bits. Rounding up to the smallest normal gives
                // 2^mantissaBits, which is its code.
                return sign | (Float.floatToRawIntBits(Float.intBitsToFloat(abs) + subnormalMagic)
                        - Float.floatToRawIntBits(subnormalMagic));
            }
            // Normal: round the dropped FP32 mantissa bits to nearest even on the integer bits (a
            // carry moves into the exponent as it should), then move the exponent to this bias.
            int dropped = 23 - mantissaBits;
            int rounded = abs + (1 << (dropped - 1)) - 1 + ((abs >>> dropped) & 1);
            return sign | ((rounded >>> dropped) - rebias);
        }
    }

    private static final SmallFloat HALF = SmallFloat.of(5, 10, 15, true);
    private static final SmallFloat E4M3 = SmallFloat.of(4, 3, 7, false);
    private static final SmallFloat E5M2 = SmallFloat.of(5, 2, 15, true);

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

    /** Heap buffers for one chunk: the FP32 values and the codes in the width of the dtype. */
    private record Chunk(float[] floats, byte[] bytes, short[] shorts, int[] ints) {
        Chunk(int n) {
            this(new float[n], new byte[n], new short[n], new int[n]);
        }
    }

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
        Chunk c = new Chunk((int) Math.min(CHUNK, count));
        for (long done = 0; done < count; done += CHUNK) {
            int n = (int) Math.min(CHUNK, count - done);
            MemorySegment.copy(srcF32, F32, done * 4, c.floats, 0, n);
            encodeChunk(type, c, n);
            long at = done * type.byteSize();
            switch (type.byteSize()) {
                case 1 -> MemorySegment.copy(c.bytes, 0, dst, I8, at, n);
                case 2 -> MemorySegment.copy(c.shorts, 0, dst, I16, at, n);
                default -> MemorySegment.copy(c.ints, 0, dst, I32, at, n);
            }
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
        Chunk c = new Chunk((int) Math.min(CHUNK, count));
        for (long done = 0; done < count; done += CHUNK) {
            int n = (int) Math.min(CHUNK, count - done);
            long at = done * type.byteSize();
            switch (type.byteSize()) {
                case 1 -> MemorySegment.copy(src, I8, at, c.bytes, 0, n);
                case 2 -> MemorySegment.copy(src, I16, at, c.shorts, 0, n);
                default -> MemorySegment.copy(src, I32, at, c.ints, 0, n);
            }
            decodeChunk(type, c, n);
            MemorySegment.copy(c.floats, 0, dstF32, F32, done * 4, n);
        }
    }

    // One loop per dtype, with the dispatch outside it, so that each loop compiles on its own.

    private static void encodeChunk(DType type, Chunk c, int n) {
        float[] in = c.floats;
        switch (type) {
            case BF16 -> { for (int i = 0; i < n; i++) c.shorts[i] = (short) encodeBf16(in[i]); }
            case FP16 -> { for (int i = 0; i < n; i++) c.shorts[i] = (short) HALF.encode(in[i]); }
            case UINT16 -> { for (int i = 0; i < n; i++) c.shorts[i] = (short) roundToInt(in[i], 0, 0xFFFF); }
            case FP8_E4M3 -> { for (int i = 0; i < n; i++) c.bytes[i] = (byte) E4M3.encode(in[i]); }
            case FP8_E5M2 -> { for (int i = 0; i < n; i++) c.bytes[i] = (byte) E5M2.encode(in[i]); }
            case INT8 -> { for (int i = 0; i < n; i++) c.bytes[i] = (byte) roundToInt(in[i], -128, 127); }
            case INT32, FP32 -> { for (int i = 0; i < n; i++) c.ints[i] = encode(type, in[i]); }
        }
    }

    private static void decodeChunk(DType type, Chunk c, int n) {
        float[] out = c.floats;
        switch (type) {
            case BF16 -> { for (int i = 0; i < n; i++) out[i] = decodeBf16(c.shorts[i] & 0xFFFF); }
            case FP16 -> { for (int i = 0; i < n; i++) out[i] = HALF_TABLE[c.shorts[i] & 0xFFFF]; }
            case UINT16 -> { for (int i = 0; i < n; i++) out[i] = c.shorts[i] & 0xFFFF; }
            case FP8_E4M3 -> { for (int i = 0; i < n; i++) out[i] = E4M3_TABLE[c.bytes[i] & 0xFF]; }
            case FP8_E5M2 -> { for (int i = 0; i < n; i++) out[i] = E5M2_TABLE[c.bytes[i] & 0xFF]; }
            case INT8 -> { for (int i = 0; i < n; i++) out[i] = c.bytes[i]; }
            case INT32, FP32 -> { for (int i = 0; i < n; i++) out[i] = decode(type, c.ints[i]); }
        }
    }

    private static void checkSizes(MemorySegment f32, int f32Size, MemorySegment other, int otherSize, long count) {
        if (count < 0 || f32.byteSize() < count * f32Size || other.byteSize() < count * otherSize) {
            throw new IllegalArgumentException("cannot convert " + count + " elements between segments of "
                    + f32.byteSize() + " (FP32) and " + other.byteSize() + " bytes");
        }
    }
}
