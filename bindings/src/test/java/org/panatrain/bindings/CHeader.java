// A small reader of C headers, just enough for the CUDA headers: function prototypes marked with
// CUDAAPI or CUBLASWINAPI, the #define renames cuda.h uses for versioned symbols, and typedefs,
// so each parameter can be classed as a pointer or an integer of a given width. It is no C parser:
// it leaves out the preprocessor's conditionals (the first declaration of a symbol wins, which in
// cuda.h is the public one) and anything a CUDA prototype does not use.
package org.panatrain.bindings;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

final class CHeader {
    /** Value kinds comparable with FFM layouts: ptr, i8, i32, i64, f32, f64, void, struct. */
    record Prototype(String name, String returnType, List<String> parameterTypes) {
    }

    private static final Pattern COMMENTS = Pattern.compile("/\\*.*?\\*/|//[^\\n]*", Pattern.DOTALL);
    private static final Pattern DEFINE = Pattern.compile(
            "#\\s*define\\s+(\\w+)\\s+(?:__CUDA_API_PT(?:DS|SZ)\\(\\s*(\\w+)\\s*\\)|(\\w+))\\s*$", Pattern.MULTILINE);
    private static final Pattern PROTOTYPE = Pattern.compile(
            "((?:const\\s+)?\\w+(?:\\s+\\w+)*?\\s*\\**)\\s*\\b(?:CUDAAPI|CUBLASWINAPI)\\s+(\\w+)\\s*\\(([^()]*)\\)\\s*;");
    private static final Pattern TYPEDEF = Pattern.compile("\\btypedef\\s+([^;{]*?(?:\\{[^}]*\\})?[^;{]*?)\\s*;");
    private static final Pattern FUNCTION_POINTER_NAME = Pattern.compile("\\(\\s*\\w*\\s*\\*\\s*(\\w+)\\s*\\)");
    private static final Map<String, String> BASE_TYPES = Map.ofEntries(
            Map.entry("void", "void"), Map.entry("float", "f32"), Map.entry("double", "f64"),
            Map.entry("char", "i8"), Map.entry("unsigned char", "i8"), Map.entry("signed char", "i8"),
            Map.entry("uint8_t", "i8"), Map.entry("int8_t", "i8"),
            Map.entry("short", "i16"), Map.entry("unsigned short", "i16"),
            Map.entry("int", "i32"), Map.entry("unsigned int", "i32"), Map.entry("unsigned", "i32"),
            Map.entry("int32_t", "i32"), Map.entry("uint32_t", "i32"),
            Map.entry("long", "i64"), Map.entry("unsigned long", "i64"), Map.entry("long long", "i64"),
            Map.entry("unsigned long long", "i64"), Map.entry("size_t", "i64"),
            Map.entry("int64_t", "i64"), Map.entry("uint64_t", "i64"));

    private final Map<String, Prototype> functions = new LinkedHashMap<>();
    private final Map<String, Prototype> asWritten = new LinkedHashMap<>();
    private final Map<String, String> renames = new HashMap<>();
    private final Map<String, String> typedefs = new HashMap<>(); // name -> kind, or "=" + aliased type
    private final Map<String, Long> constants = new HashMap<>();  // enumerators and numeric #defines

    /** Reads {@code main} and takes typedefs (only) from {@code companions}, e.g. library_types.h. */
    static CHeader read(Path main, List<Path> companions) throws IOException {
        CHeader h = new CHeader();
        for (Path c : companions) {
            String companion = strip(Files.readString(c));
            h.addTypedefs(companion);
            h.addConstants(companion);
        }
        String text = strip(Files.readString(main));
        h.addTypedefs(text);
        h.addConstants(text);
        h.addDefines(text);
        h.addPrototypes(text);
        return h;
    }

    /** Parses header text directly (for testing the reader itself). */
    static CHeader parse(String text) {
        CHeader h = new CHeader();
        String s = strip(text);
        h.addTypedefs(s);
        h.addConstants(s);
        h.addDefines(s);
        h.addPrototypes(s);
        return h;
    }

    /** The value of an enumerator or numeric #define, or null when the header has none by that name. */
    Long constant(String name) {
        return constants.get(name);
    }

    /** The prototype that calls of {@code symbol} resolve to, or null. */
    Prototype function(String symbol) {
        return functions.get(symbol);
    }

    /**
     * The prototype written under {@code name}, before any #define rename: how a header declares
     * the older symbol a rename replaced (cuEventElapsedTime, now mapped to cuEventElapsedTime_v2).
     */
    Prototype functionAsWritten(String name) {
        return asWritten.get(name);
    }

    /** The value kind of a C type as written in a prototype: ptr, i8, i32, i64, f32, void, struct. */
    String kind(String cType) {
        String t = cType.replaceAll("\\bconst\\b", " ").replaceAll("\\s+", " ").trim();
        if (t.contains("*") || t.contains("[")) {
            return "ptr";
        }
        if (t.startsWith("enum ")) {
            return "i32";
        }
        if (t.startsWith("struct ") || t.startsWith("union ")) {
            return "struct";
        }
        for (int depth = 0; depth < 16; depth++) {
            String base = BASE_TYPES.get(t);
            if (base != null) {
                return base;
            }
            String def = typedefs.get(t);
            if (def == null) {
                return "unknown(" + t + ")";
            }
            if (!def.startsWith("=")) {
                return def;
            }
            t = def.substring(1);
            if (t.contains("*")) {
                return "ptr";
            }
            if (t.startsWith("enum ")) {
                return "i32";
            }
        }
        return "unknown(" + cType + ")";
    }

    private static String strip(String text) {
        return COMMENTS.matcher(text.replace("\r", "")).replaceAll(" ").replace("__device_builtin__", " ");
    }

    private void addDefines(String text) {
        Matcher m = DEFINE.matcher(text);
        while (m.find()) {
            renames.putIfAbsent(m.group(1), m.group(2) != null ? m.group(2) : m.group(3));
        }
    }

    private void addPrototypes(String text) {
        Matcher m = PROTOTYPE.matcher(text);
        while (m.find()) {
            String name = m.group(2);
            String symbol = renames.getOrDefault(name, name);
            List<String> params = new ArrayList<>();
            String args = m.group(3).trim();
            if (!args.isEmpty() && !args.equals("void")) {
                for (String p : args.split(",")) {
                    params.add(parameterType(p.trim()));
                }
            }
            // The match may start at an earlier word on a previous line (e.g. "endif"): the return
            // type is the last identifier and its stars.
            Matcher ret = Pattern.compile("(\\w+\\s*\\**)\\s*$").matcher(m.group(1).trim());
            String returnType = ret.find() ? ret.group(1) : m.group(1).trim();
            functions.putIfAbsent(symbol, new Prototype(symbol, returnType, params));
            asWritten.putIfAbsent(name, new Prototype(name, returnType, params));
        }
    }

    /** The type of a parameter declaration: drops the parameter's name, keeps '*' and '[]'. */
    private static String parameterType(String decl) {
        String arrays = decl.contains("[") ? "[]" : "";
        String d = decl.replaceAll("\\[[^]]*]", "").trim();
        Matcher last = Pattern.compile("^(.*?[\\s*])(\\w+)$").matcher(d);
        if (last.matches()) {
            String type = last.group(1).trim();
            String candidate = last.group(2);
            // "unsigned int" or "size_t" alone has no name: keep the whole declaration.
            boolean unnamed = type.isEmpty() || type.equals("unsigned") || type.equals("signed") || type.equals("long")
                    || type.equals("const") || type.equals("struct") || type.equals("enum");
            if (!unnamed || BASE_TYPES.containsKey(candidate)) {
                return (unnamed ? d : type) + arrays;
            }
        }
        return d + arrays;
    }

    private static final Pattern ENUM_BODY = Pattern.compile("\\benum\\s*\\w*\\s*\\{([^}]*)\\}");
    private static final Pattern NUMERIC_DEFINE = Pattern.compile(
            "#\\s*define\\s+(\\w+)\\s+\\(?\\s*((?:0x)?[0-9a-fA-F]+)[uUlL]*\\s*\\)?\\s*$", Pattern.MULTILINE);

    /** Enumerators (explicit values, ORs of earlier ones, or the previous value + 1) and numeric #defines. */
    private void addConstants(String text) {
        Matcher d = NUMERIC_DEFINE.matcher(text);
        while (d.find()) {
            Long v = literal(d.group(2));
            if (v != null) {
                constants.putIfAbsent(d.group(1), v);
            }
        }
        Matcher m = ENUM_BODY.matcher(text);
        while (m.find()) {
            long next = 0;
            for (String entry : m.group(1).split(",")) {
                String e = entry.trim();
                if (e.isEmpty() || e.startsWith("#")) {
                    continue;
                }
                int eq = e.indexOf('=');
                String name = (eq < 0 ? e : e.substring(0, eq)).trim();
                if (!name.matches("\\w+")) {
                    continue;
                }
                Long value = eq < 0 ? Long.valueOf(next) : evaluate(e.substring(eq + 1));
                if (value == null) {
                    continue; // an expression this reader does not follow; the name stays unknown
                }
                constants.putIfAbsent(name, value);
                next = value + 1;
            }
        }
    }

    /** Literals, names of earlier constants, parentheses and '|': enough for cuBLASLt's epilogues. */
    private Long evaluate(String expression) {
        long v = 0;
        for (String term : expression.replace("(", " ").replace(")", " ").split("\\|")) {
            String t = term.trim();
            Long x = constants.containsKey(t) ? constants.get(t) : literal(t);
            if (x == null) {
                return null;
            }
            v |= x;
        }
        return v;
    }

    private static Long literal(String s) {
        String t = s.trim().replaceAll("[uUlL]+$", "");
        try {
            return t.startsWith("0x") || t.startsWith("0X") ? Long.parseLong(t.substring(2), 16) : Long.parseLong(t);
        } catch (NumberFormatException e) {
            return null;
        }
    }

    private void addTypedefs(String text) {
        Matcher m = TYPEDEF.matcher(text);
        while (m.find()) {
            String body = m.group(1).replaceAll("\\s+", " ").trim();
            if (body.contains("(")) {
                Matcher fp = FUNCTION_POINTER_NAME.matcher(body);
                if (fp.find()) {
                    typedefs.putIfAbsent(fp.group(1), "ptr");
                }
                continue;
            }
            int close = body.lastIndexOf('}');
            String head = close >= 0 ? body.substring(0, body.indexOf('{')).trim() : body;
            String tail = close >= 0 ? body.substring(close + 1).trim() : body;
            Matcher nameM = Pattern.compile("(\\w+)\\s*$").matcher(tail);
            if (!nameM.find()) {
                continue;
            }
            String name = nameM.group(1);
            String kind;
            if (tail.contains("*")) {
                kind = "ptr";
            } else if (head.startsWith("enum")) {
                kind = "i32";
            } else if (head.startsWith("struct") || head.startsWith("union")) {
                kind = "struct";
            } else {
                kind = "=" + tail.substring(0, tail.length() - name.length()).trim();
            }
            typedefs.putIfAbsent(name, kind);
        }
    }
}
