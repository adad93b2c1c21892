// The options of one command line after parsing: a map from option name to its (already
// validated) text, with typed getters that fall back to a default when the option is absent,
// and the operands (arguments that are not options) of a command that takes them.
// Parsing itself is in parse(): "--name value", "--name=value" and flags, by hand.
package org.panatrain.engine.cli;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * Options of a command, parsed against its {@link OptionSpec}s.
 *
 * <pre>{@code
 * ParsedOptions o = ParsedOptions.parse(List.of("--batch", "8", "--json"), specs);
 * int B = o.intValue("batch", 16);     // 8
 * boolean json = o.flag("json");        // true
 * }</pre>
 */
public final class ParsedOptions {
    private final Map<String, String> values;
    private final List<String> operands;

    private ParsedOptions(Map<String, String> values, List<String> operands) {
        this.values = values;
        this.operands = List.copyOf(operands);
    }

    /**
     * Parses {@code args} against {@code specs}. Throws UsageException for an argument that is
     * not an option, an unknown or repeated option, a missing value, a value given to a flag,
     * or a value of the wrong kind.
     */
    public static ParsedOptions parse(List<String> args, List<OptionSpec> specs) {
        return parse(args, specs, false);
    }

    /**
     * {@link #parse(List, List)}, where {@code operands} allows arguments that are not options
     * (input files: {@code prepare a.txt b/ --out data}); they are kept in order.
     */
    public static ParsedOptions parse(List<String> args, List<OptionSpec> specs, boolean operands) {
        Map<String, OptionSpec> byName = new LinkedHashMap<>();
        for (OptionSpec s : specs) {
            byName.put(s.name(), s);
        }
        Map<String, String> values = new LinkedHashMap<>();
        List<String> found = new ArrayList<>();
        for (int i = 0; i < args.size(); i++) {
            String arg = args.get(i);
            if (operands && !arg.startsWith("--")) {
                found.add(arg);
                continue;
            }
            if (!arg.startsWith("--") || arg.length() == 2) {
                throw new UsageException("unexpected argument '" + arg + "' (options look like --name value)");
            }
            int eq = arg.indexOf('=');
            String name = eq < 0 ? arg.substring(2) : arg.substring(2, eq);
            OptionSpec spec = byName.get(name);
            if (spec == null) {
                throw new UsageException("unknown option --" + name + " (see --help)");
            }
            if (values.containsKey(name)) {
                throw new UsageException("--" + name + " given twice");
            }
            String value;
            if (spec.kind() == OptionSpec.Kind.FLAG) {
                if (eq >= 0) {
                    throw new UsageException("--" + name + " takes no value, got '" + arg.substring(eq + 1) + "'");
                }
                value = "true";
            } else if (eq >= 0) {
                value = arg.substring(eq + 1);
            } else {
                if (i + 1 >= args.size()) {
                    throw new UsageException("--" + name + ": missing value (" + spec.valueName() + ")");
                }
                value = args.get(++i);
            }
            spec.validate(value);
            values.put(name, value);
        }
        return new ParsedOptions(values, found);
    }

    /** The arguments that are not options, in order (empty unless parsed with operands allowed). */
    public List<String> operands() {
        return operands;
    }

    public boolean has(String name) {
        return values.containsKey(name);
    }

    public boolean flag(String name) {
        return values.containsKey(name);
    }

    public Optional<String> text(String name) {
        return Optional.ofNullable(values.get(name));
    }

    public String text(String name, String fallback) {
        return values.getOrDefault(name, fallback);
    }

    public Optional<Path> path(String name) {
        return text(name).map(Path::of);
    }

    public int intValue(String name, int fallback) {
        String v = values.get(name);
        return v == null ? fallback : Integer.parseInt(v);
    }

    public long longValue(String name, long fallback) {
        String v = values.get(name);
        return v == null ? fallback : Long.parseLong(v);
    }

    public float floatValue(String name, float fallback) {
        String v = values.get(name);
        return v == null ? fallback : Float.parseFloat(v);
    }

    public double doubleValue(String name, double fallback) {
        String v = values.get(name);
        return v == null ? fallback : Double.parseDouble(v);
    }

    /** The value of a required option, or a UsageException saying it is missing. */
    public String required(String name) {
        String v = values.get(name);
        if (v == null) {
            throw new UsageException("--" + name + " is required");
        }
        return v;
    }
}
