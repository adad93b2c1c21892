// Element types of tensors: byte size and safetensors name. The bit-exact float conversions
// live in FloatFormats; this enum only names the formats and their sizes.
package org.panatrain.memory;

/**
 * The element types a tensor can hold.
 *
 * <pre>{@code
 * long bytes = DType.BF16.byteSize() * 1024;   // 2048
 * DType t = DType.fromSafetensors("F8_E4M3"); // FP8_E4M3
 * int code = DType.FP16.encode(1.0f);           // 0x3C00
 * float one = DType.FP16.decode(0x3C00);        // 1.0f
 * }</pre>
 */
public enum DType {
    FP32(4, "F32"),
    BF16(2, "BF16"),
    FP16(2, "F16"),
    FP8_E4M3(1, "F8_E4M3"),
    FP8_E5M2(1, "F8_E5M2"),
    INT8(1, "I8"),
    UINT16(2, "U16"),
    INT32(4, "I32");

    private final int byteSize;
    private final String safetensorsName;

    DType(int byteSize, String safetensorsName) {
        this.byteSize = byteSize;
        this.safetensorsName = safetensorsName;
    }

    /** Bytes per element. */
    public int byteSize() {
        return byteSize;
    }

    /** The dtype string of the safetensors header ("F32", "BF16", ...). */
    public String safetensorsName() {
        return safetensorsName;
    }

    /** True for the floating-point formats (FP32 down to FP8). */
    public boolean isFloat() {
        return this != INT8 && this != UINT16 && this != INT32;
    }

    /** The value of the element code {@code bits} (low {@code 8 * byteSize()} bits); see {@link FloatFormats}. */
    public float decode(int bits) {
        return FloatFormats.decode(this, bits);
    }

    /** The element code of {@code value}, rounded to nearest even, unsigned; see {@link FloatFormats}. */
    public int encode(float value) {
        return FloatFormats.encode(this, value);
    }

    /** The dtype whose safetensors name is {@code name}, or an IllegalArgumentException naming it. */
    public static DType fromSafetensors(String name) {
        for (DType t : values()) {
            if (t.safetensorsName.equals(name)) {
                return t;
            }
        }
        throw new IllegalArgumentException("unsupported safetensors dtype \"" + name + "\"");
    }
}
