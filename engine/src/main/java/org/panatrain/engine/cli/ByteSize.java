// Byte sizes on the command line (--memory-budget 8GiB) and in human output: plain bytes, or a
// number with a decimal (kB, MB, GB, TB: powers of 1000) or binary (KiB, MiB, GiB, TiB: powers
// of 1024) unit, case-insensitive. Leaves out bare "G" or "k": they are ambiguous between the two.
package org.panatrain.engine.cli;

import java.math.BigDecimal;
import java.util.Locale;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Parses and prints byte sizes.
 *
 * <pre>{@code
 * long budget = ByteSize.parse("memory-budget", "512MiB");   // 536870912
 * String s = ByteSize.format(80_000_000_000L);                // "74.5 GiB"
 * }</pre>
 */
final class ByteSize {
    private static final Pattern SIZE = Pattern.compile("(\\d+(?:\\.\\d+)?)\\s*([a-z]*)");
    private static final String[] BINARY = {"KiB", "MiB", "GiB", "TiB"};
    private static final String[] DECIMAL = {"kB", "MB", "GB", "TB"};

    private ByteSize() {
    }

    /** The bytes {@code text} names, rounded down; a UsageException naming {@code --option} otherwise. */
    static long parse(String option, String text) {
        Matcher m = SIZE.matcher(text.strip().toLowerCase(Locale.ROOT));
        if (m.matches()) {
            BigDecimal unit = unit(m.group(2));
            if (unit != null) {
                BigDecimal bytes = new BigDecimal(m.group(1)).multiply(unit);
                if (bytes.compareTo(BigDecimal.valueOf(Long.MAX_VALUE)) <= 0) {
                    return bytes.longValue();
                }
            }
        }
        throw new UsageException("--" + option + ": expected a size such as 512MiB, 8GiB, 80GB or a number of bytes, got '"
                + text + "'");
    }

    private static BigDecimal unit(String suffix) {
        if (suffix.isEmpty() || suffix.equals("b")) {
            return BigDecimal.ONE;
        }
        for (int i = 0; i < BINARY.length; i++) {
            if (suffix.equalsIgnoreCase(BINARY[i])) {
                return BigDecimal.valueOf(1024).pow(i + 1);
            }
            if (suffix.equalsIgnoreCase(DECIMAL[i])) {
                return BigDecimal.valueOf(1000).pow(i + 1);
            }
        }
        return null;
    }

    /** {@code bytes} in the largest binary unit that keeps the number at least 1, one decimal. */
    static String format(long bytes) {
        if (bytes < 1024) {
            return bytes + " B";
        }
        double v = bytes;
        int i = -1;
        while (v >= 1024 && i < BINARY.length - 1) {
            v /= 1024;
            i++;
        }
        return String.format(Locale.ROOT, "%.1f %s", v, BINARY[i]);
    }
}
