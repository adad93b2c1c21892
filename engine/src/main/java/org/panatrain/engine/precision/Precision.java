// The training precisions that --precision names, and their parsing from the command line.
// What each precision means for every tensor is PrecisionPolicy's business, not this enum's.
package org.panatrain.engine.precision;

import java.util.Arrays;
import java.util.Locale;
import java.util.stream.Collectors;

/**
 * A training precision: {@code fp32}, {@code tf32} (FP32 storage, TF32 Tensor Core matmuls),
 * {@code bf16}, {@code fp16} (with dynamic loss scaling) and {@code fp8} (hybrid E4M3/E5M2
 * matmuls with delayed scaling over BF16 storage).
 *
 * <pre>{@code
 * Precision p = Precision.parse("bf16");   // Precision.BF16
 * String name = p.cliName();              // "bf16"
 * }</pre>
 */
public enum Precision {
    FP32, TF32, BF16, FP16, FP8;

    /** The name on the command line: the constant in lower case. */
    public String cliName() {
        return name().toLowerCase(Locale.ROOT);
    }

    /**
     * The precision called {@code text} (case-insensitive, surrounding blanks ignored).
     *
     * @throws IllegalArgumentException with a one-line message listing the accepted names
     */
    public static Precision parse(String text) {
        String wanted = text == null ? "" : text.strip();
        for (Precision p : values()) {
            if (p.cliName().equalsIgnoreCase(wanted)) {
                return p;
            }
        }
        throw new IllegalArgumentException("--precision: unknown precision \"" + text + "\" (expected one of "
                + Arrays.stream(values()).map(Precision::cliName).collect(Collectors.joining("|")) + ")");
    }
}
