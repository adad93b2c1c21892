// One command-line option: its name, the kind of value it takes (checked while parsing, so
// every command reports a bad value the same way) and its help line. Leaves out short
// aliases and repeated options: each option is given at most once.
package org.panatrain.engine.cli;

import java.util.List;

/**
 * An option {@code --name} of a command.
 *
 * <pre>{@code
 * OptionSpec batch = OptionSpec.of("batch", OptionSpec.Kind.POSITIVE_INT, "B", "micro-batch size (default 16)");
 * }</pre>
 *
 * @param name      without the leading dashes
 * @param kind      what value it takes
 * @param valueName the placeholder shown in help ("N", "FILE"); empty for flags
 * @param help      one line for the command's help
 * @param choices   the allowed values of a {@link Kind#CHOICE}, else empty
 */
public record OptionSpec(String name, Kind kind, String valueName, String help, List<String> choices) {

    /** The kinds of value an option takes. */
    public enum Kind {
        /** no value: present or not */
        FLAG("no value"),
        /** any text */
        TEXT("a value"),
        /** an int >= 1 */
        POSITIVE_INT("a positive integer"),
        /** an int >= 0 */
        NON_NEGATIVE_INT("a non-negative integer"),
        /** any long */
        INTEGER("an integer"),
        /** a finite number >= 0 */
        NON_NEGATIVE_NUMBER("a non-negative number"),
        /** one of {@link OptionSpec#choices()} */
        CHOICE("one of");

        /** How a value of this kind is described in an error ("expected a positive integer"). */
        final String description;

        Kind(String description) {
            this.description = description;
        }
    }

    public OptionSpec {
        choices = List.copyOf(choices);
    }

    public static OptionSpec of(String name, Kind kind, String valueName, String help) {
        return new OptionSpec(name, kind, valueName, help, List.of());
    }

    public static OptionSpec flag(String name, String help) {
        return new OptionSpec(name, Kind.FLAG, "", help, List.of());
    }

    public static OptionSpec choice(String name, List<String> choices, String help) {
        return new OptionSpec(name, Kind.CHOICE, String.join("|", choices), help, choices);
    }

    /** Checks {@code value} against the kind; throws a UsageException naming the option otherwise. */
    void validate(String value) {
        boolean ok = switch (kind) {
            case FLAG, TEXT -> true;
            case POSITIVE_INT -> parsesAsInt(value) && Integer.parseInt(value) >= 1;
            case NON_NEGATIVE_INT -> parsesAsInt(value) && Integer.parseInt(value) >= 0;
            case INTEGER -> parsesAsLong(value);
            case NON_NEGATIVE_NUMBER -> parsesAsNumber(value) && Double.parseDouble(value) >= 0;
            case CHOICE -> choices.contains(value);
        };
        if (!ok) {
            String expected = kind == Kind.CHOICE
                    ? "expected one of " + String.join(", ", choices)
                    : "expected " + kind.description;
            throw new UsageException("--" + name + ": " + expected + ", got '" + value + "'");
        }
    }

    private static boolean parsesAsInt(String s) {
        try {
            Integer.parseInt(s);
            return true;
        } catch (NumberFormatException e) {
            return false;
        }
    }

    private static boolean parsesAsLong(String s) {
        try {
            Long.parseLong(s);
            return true;
        } catch (NumberFormatException e) {
            return false;
        }
    }

    private static boolean parsesAsNumber(String s) {
        // Double.parseDouble also takes "NaN", "Infinity", hex floats and a trailing 'f'/'d': refuse those.
        if (!s.matches("[+-]?(\\d+\\.?\\d*|\\.\\d+)([eE][+-]?\\d+)?")) {
            return false;
        }
        return Double.isFinite(Double.parseDouble(s));
    }
}
