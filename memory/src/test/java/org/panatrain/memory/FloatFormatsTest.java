// Bit-exactness of the narrow float formats, checked over every code against the format
// definitions written here in float64 (sign * 2^(e-bias) * (1 + m/2^mbits), subnormals, inf/NaN),
// plus round-to-nearest-even at every midpoint, overflow, NaN, the integer types and bulk paths.
package org.panatrain.memory;

import static org.assertj.core.api.Assertions.assertThat;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.ByteOrder;
import java.util.List;
import java.util.Random;
import org.junit.jupiter.api.Test;

class FloatFormatsTest {

    /** A format as its specification states it; {@code ieee} false means the E4M3 NaN/no-inf rule. */
    record Spec(DType type, int exponentBits, int mantissaBits, int bias, boolean ieee) {
        int bits() {
            return 1 + exponentBits + mantissaBits;
        }

        int signBit() {
            return 1 << (exponentBits + mantissaBits);
        }

        /** The value of {@code code} by the definition of the format, in float64. */
        double value(int code) {
            int sign = (code >> (exponentBits + mantissaBits)) & 1;
            int e = (code >> mantissaBits) & ((1 << exponentBits) - 1);
            int m = code & ((1 << mantissaBits) - 1);
            int eMax = (1 << exponentBits) - 1;
            double s = sign == 1 ? -1.0 : 1.0;
            if (ieee && e == eMax) {
                return m == 0 ? s * Double.POSITIVE_INFINITY : Double.NaN;
            }
            if (!ieee && e == eMax && m == (1 << mantissaBits) - 1) {
                return Double.NaN;
            }
            double fraction = m / Math.pow(2, mantissaBits);
            return e == 0
                    ? s * Math.pow(2, 1 - bias) * fraction
                    : s * Math.pow(2, e - bias) * (1 + fraction);
        }

        boolean isNaN(int code) {
            return Double.isNaN(value(code));
        }

        boolean isFinite(int code) {
            double v = value(code);
            return !Double.isNaN(v) && !Double.isInfinite(v);
        }
    }

    static final List<Spec> FORMATS = List.of(
            new Spec(DType.BF16, 8, 7, 127, true),
            new Spec(DType.FP16, 5, 10, 15, true),
            new Spec(DType.FP8_E4M3, 4, 3, 7, false),
            new Spec(DType.FP8_E5M2, 5, 2, 15, true));

    static Spec spec(DType type) {
        return FORMATS.stream().filter(s -> s.type() == type).findFirst().orElseThrow();
    }

    @Test
    void everyCodeDecodesToTheValueTheFormatDefines() {
        for (Spec f : FORMATS) {
            for (int code = 0; code < 1 << f.bits(); code++) {
                float got = f.type().decode(code);
                double want = f.value(code);
                int gotBits = Float.floatToRawIntBits(got);
                boolean negative = (code & f.signBit()) != 0;
                if (Double.isNaN(want)) {
                    assertThat(Float.isNaN(got)).as("%s code 0x%x is NaN", f.type(), code).isTrue();
                    assertThat(gotBits < 0).as("%s NaN 0x%x keeps its sign", f.type(), code).isEqualTo(negative);
                    assertThat(gotBits & 0x00400000).as("%s NaN 0x%x is quiet", f.type(), code).isNotZero();
                } else {
                    // The double is exact and every value of these formats is a float, so the
                    // bits of (float) want are the only right answer (this also checks -0).
                    assertThat((double) (float) want).isEqualTo(want);
                    assertThat(gotBits).as("%s code 0x%x = %s", f.type(), code, want)
                            .isEqualTo(Float.floatToRawIntBits((float) want));
                }
            }
        }
    }

    @Test
    void everyNonNaNCodeSurvivesARoundTrip() {
        for (Spec f : FORMATS) {
            for (int code = 0; code < 1 << f.bits(); code++) {
                if (!f.isNaN(code)) {
                    assertThat(f.type().encode((float) f.value(code))).as("%s code 0x%x", f.type(), code).isEqualTo(code);
                }
            }
        }
    }

    @Test
    void midpointsBetweenAdjacentCodesRoundToEvenAndNeighboursRoundToTheNearest() {
        for (Spec f : FORMATS) {
            // Positive codes grow with their magnitude; the negative ones mirror them.
            for (int code = 0; f.isFinite(code + 1); code++) {
                double low = f.value(code);
                double high = f.value(code + 1);
                double mid = (low + high) / 2; // exact in float64: these formats have <= 11 bits
                float midF = (float) mid;
                if (midF != mid) {
                    continue;
                }
                int even = (code & 1) == 0 ? code : code + 1;
                for (int sign : new int[] {0, f.signBit()}) {
                    float s = sign == 0 ? 1f : -1f;
                    String where = f.type() + " between 0x" + Integer.toHexString(code | sign) + " and the next";
                    assertThat(f.type().encode(s * midF)).as("tie " + where).isEqualTo(even | sign);
                    assertThat(f.type().encode(s * Math.nextDown(midF))).as("below " + where).isEqualTo(code | sign);
                    assertThat(f.type().encode(s * Math.nextUp(midF))).as("above " + where).isEqualTo(code + 1 | sign);
                }
            }
        }
    }

    @Test
    void ieeeFormatsOverflowToInfinityAtTheRoundingBoundary() {
        for (DType t : List.of(DType.FP16, DType.FP8_E5M2, DType.BF16)) {
            Spec f = spec(t);
            int inf = ((1 << f.exponentBits()) - 1) << f.mantissaBits();
            int maxFinite = inf - 1;
            double max = f.value(maxFinite);
            // The next value past the largest finite one would be 2^(emax+1); halfway rounds to it
            // (the largest finite code is odd), which does not exist, so it is infinity.
            double boundary = (max + Math.pow(2, Math.getExponent(max) + 1)) / 2;
            assertThat(t.encode((float) boundary)).as("%s at the boundary", t).isEqualTo(inf);
            assertThat(t.encode(Math.nextDown((float) boundary))).as("%s below the boundary", t).isEqualTo(maxFinite);
            assertThat(t.encode(-(float) boundary)).isEqualTo(inf | f.signBit());
            assertThat(t.encode(Float.POSITIVE_INFINITY)).isEqualTo(inf);
            assertThat(t.encode(Float.NEGATIVE_INFINITY)).isEqualTo(inf | f.signBit());
            assertThat(t.encode(Float.MAX_VALUE)).isEqualTo(inf);
        }
        assertThat(DType.FP16.encode(65504f)).isEqualTo(0x7BFF);
        assertThat(DType.FP16.encode(65520f)).isEqualTo(0x7C00);
        assertThat(DType.FP8_E5M2.encode(57344f)).isEqualTo(0x7B);
        assertThat(DType.FP8_E5M2.encode(61440f)).isEqualTo(0x7C);
    }

    @Test
    void e4m3SaturatesFiniteOverflowAndInfinityTo448() {
        DType t = DType.FP8_E4M3;
        assertThat(t.decode(0x7E)).isEqualTo(448f);
        for (float v : new float[] {448f, 463.99f, 464f, 480f, 1e6f, Float.MAX_VALUE, Float.POSITIVE_INFINITY}) {
            assertThat(t.encode(v)).as("E4M3 of %s", v).isEqualTo(0x7E);
            assertThat(t.encode(-v)).as("E4M3 of %s", -v).isEqualTo(0xFE);
        }
        assertThat(t.encode(Float.NaN)).isEqualTo(0x7F);
        assertThat(t.encode(Float.intBitsToFloat(0xFFC00000))).isEqualTo(0xFF);
    }

    @Test
    void nanStaysAQuietNaNWithItsSign() {
        int[] nans = {0x7FC00000, 0xFFC00000, 0x7F800001, 0xFF800001, 0x7FFFFFFF, 0x7FA00000};
        for (Spec f : FORMATS) {
            for (int nanBits : nans) {
                int code = f.type().encode(Float.intBitsToFloat(nanBits));
                assertThat(f.isNaN(code)).as("%s of NaN 0x%x gives 0x%x", f.type(), nanBits, code).isTrue();
                assertThat((code & f.signBit()) != 0).as("%s NaN sign", f.type()).isEqualTo(nanBits < 0);
                if (f.ieee()) {
                    assertThat(code & (1 << (f.mantissaBits() - 1))).as("%s quiet bit of 0x%x", f.type(), code).isNotZero();
                }
            }
        }
        assertThat(Float.floatToRawIntBits(DType.FP32.decode(DType.FP32.encode(Float.intBitsToFloat(0xFFC00001)))))
                .isEqualTo(0xFFC00001);
    }

    @Test
    void fp32SubnormalInputsRoundLikeAnyOtherValue() {
        for (Spec f : FORMATS) {
            // 2^-149 is below half of the smallest step of every one of these formats.
            assertThat(f.type().encode(Float.MIN_VALUE)).as("%s of MIN_VALUE", f.type()).isZero();
            float largestSubnormal = Math.nextDown(Float.MIN_NORMAL);
            assertThat(f.type().encode(largestSubnormal)).as("%s of the largest FP32 subnormal", f.type())
                    .isEqualTo(f.type() == DType.BF16 ? 0x0080 : 0); // BF16: rounds up to MIN_NORMAL
            assertThat(f.type().encode(-Float.MIN_VALUE)).isEqualTo(f.signBit()); // -0
            assertThat(f.type().encode(-0f)).isEqualTo(f.signBit());
        }
        // BF16 keeps FP32's exponent range, so FP32 subnormals map onto BF16 subnormals.
        float sub = Float.intBitsToFloat(0x00008000 | 0x00010000); // 3 * 2^-134: 0x0001 plus an exact half
        assertThat(DType.BF16.encode(sub)).isEqualTo(0x0002);
        assertThat(DType.BF16.encode(Float.intBitsToFloat(0x00007FFF))).isEqualTo(0x0000);
        assertThat(DType.BF16.encode(Float.intBitsToFloat(0x00008001))).isEqualTo(0x0001);
        assertThat(DType.BF16.encode(Float.intBitsToFloat(0x007FFFFF))).isEqualTo(0x0080); // rounds up to MIN_NORMAL
        assertThat(DType.BF16.decode(0x0080)).isEqualTo(Float.MIN_NORMAL);
    }

    @Test
    void integerTypesRoundToEvenSaturateAndMapNaNToZero() {
        assertThat(DType.INT8.encode(2.5f)).isEqualTo(2);
        assertThat(DType.INT8.encode(3.5f)).isEqualTo(4);
        assertThat(DType.INT8.encode(-2.5f)).isEqualTo(0xFE);
        assertThat(DType.INT8.encode(127.5f)).isEqualTo(127);
        assertThat(DType.INT8.encode(1e9f)).isEqualTo(127);
        assertThat(DType.INT8.encode(-1e9f)).isEqualTo(0x80);
        assertThat(DType.INT8.encode(Float.NaN)).isZero();
        assertThat(DType.INT8.decode(0xFF)).isEqualTo(-1f);
        assertThat(DType.INT8.decode(0x80)).isEqualTo(-128f);
        assertThat(DType.UINT16.encode(-5f)).isZero();
        assertThat(DType.UINT16.encode(70000f)).isEqualTo(0xFFFF);
        assertThat(DType.UINT16.encode(65534.5f)).isEqualTo(65534);
        assertThat(DType.UINT16.encode(Float.NEGATIVE_INFINITY)).isZero();
        assertThat(DType.UINT16.decode(0xFFFF)).isEqualTo(65535f);
        assertThat(DType.INT32.encode(-7.5f)).isEqualTo(-8);
        assertThat(DType.INT32.encode(Float.POSITIVE_INFINITY)).isEqualTo(Integer.MAX_VALUE);
        assertThat(DType.INT32.encode(Float.NaN)).isZero();
        for (int v = -128; v < 128; v++) {
            assertThat(DType.INT8.decode(DType.INT8.encode(v))).isEqualTo((float) v);
        }
    }

    @Test
    void bulkDecodeOfEveryCodeMatchesTheDefinitionAtAnUnalignedOffset() {
        try (Arena arena = Arena.ofConfined()) {
            for (Spec f : FORMATS) {
                int n = 1 << f.bits();
                int size = f.type().byteSize();
                MemorySegment codes = arena.allocate(1 + (long) n * size).asSlice(1);
                for (int c = 0; c < n; c++) {
                    if (size == 1) {
                        codes.set(ValueLayout.JAVA_BYTE, c, (byte) c);
                    } else {
                        codes.set(LE_SHORT, 2L * c, (short) c);
                    }
                }
                MemorySegment out = arena.allocate(3 + 4L * n).asSlice(3);
                FloatFormats.decode(f.type(), codes, out, n);
                for (int c = 0; c < n; c++) {
                    float got = out.get(LE_FLOAT, 4L * c);
                    double want = f.value(c);
                    if (Double.isNaN(want)) {
                        assertThat(Float.isNaN(got)).isTrue();
                    } else {
                        assertThat(Float.floatToRawIntBits(got)).as("%s code 0x%x", f.type(), c)
                                .isEqualTo(Float.floatToRawIntBits((float) want));
                    }
                }
            }
        }
    }

    @Test
    void bulkEncodeAgreesWithTheScalarEncoderForEveryType() {
        int n = 10_000; // more than one internal chunk
        Random random = new Random(42);
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment src = arena.allocate(1 + 4L * n).asSlice(1);
            float[] values = new float[n];
            for (int i = 0; i < n; i++) {
                values[i] = switch (i % 4) {
                    case 0 -> (float) random.nextGaussian();
                    case 1 -> Float.intBitsToFloat(random.nextInt()); // any bits: NaN, inf, subnormal
                    case 2 -> (float) (random.nextGaussian() * 1000);
                    default -> random.nextInt(300) - 150;
                };
                src.set(LE_FLOAT, 4L * i, values[i]);
            }
            for (DType t : DType.values()) {
                MemorySegment dst = arena.allocate(1 + (long) n * t.byteSize()).asSlice(1);
                FloatFormats.encode(t, src, dst, n);
                for (int i = 0; i < n; i++) {
                    long at = (long) i * t.byteSize();
                    int code = switch (t.byteSize()) {
                        case 1 -> dst.get(ValueLayout.JAVA_BYTE, at) & 0xFF;
                        case 2 -> dst.get(LE_SHORT, at) & 0xFFFF;
                        default -> dst.get(LE_INT, at);
                    };
                    assertThat(code).as("%s of %s", t, values[i]).isEqualTo(t.encode(values[i]));
                }
            }
        }
    }

    static final ValueLayout.OfShort LE_SHORT = ValueLayout.JAVA_SHORT_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);
    static final ValueLayout.OfInt LE_INT = ValueLayout.JAVA_INT_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);
    static final ValueLayout.OfFloat LE_FLOAT = ValueLayout.JAVA_FLOAT_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);
}
