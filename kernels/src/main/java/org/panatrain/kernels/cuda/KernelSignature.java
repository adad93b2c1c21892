// The parameter kinds of a PTX entry point, read from its `.param` declarations, so that every
// launch can be checked against the kernel it calls before the driver sees it: a wrong argument
// list would otherwise be a silent misread on the device. Leaves out parameter names and alignment.
package org.panatrain.kernels.cuda;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/** The kinds of an entry point's parameters, in order. */
record KernelSignature(String name, List<Kind> params) {

    /** A parameter's kind: 64-bit (pointer or long), 32-bit integer, or 32-bit float. */
    enum Kind { B64, I32, F32 }

    private static final Pattern ENTRY = Pattern.compile("\\.entry\\s+(\\w+)\\s*\\(([^)]*)\\)");
    private static final Pattern PARAM = Pattern.compile("\\.param\\s+\\.(\\w+)\\s+\\w+");

    KernelSignature {
        params = List.copyOf(params);
    }

    /** The signature of every entry point PtxKernel names, read from the committed PTX. */
    static Map<String, KernelSignature> ofAllKernels() {
        Map<String, KernelSignature> out = new HashMap<>();
        for (PtxKernel k : PtxKernel.values()) {
            Map<String, KernelSignature> inModule = parse(PtxModules.ptxText(k.module));
            for (String symbol : k.symbols()) {
                KernelSignature s = inModule.get(symbol);
                if (s == null) {
                    throw new IllegalStateException("ptx/" + k.module + ".ptx declares no kernel " + symbol);
                }
                out.put(symbol, s);
            }
        }
        return out;
    }

    /** Every entry point of a PTX text with its parameter kinds. */
    static Map<String, KernelSignature> parse(String ptx) {
        Map<String, KernelSignature> out = new HashMap<>();
        Matcher entry = ENTRY.matcher(ptx);
        while (entry.find()) {
            List<Kind> kinds = new ArrayList<>();
            Matcher param = PARAM.matcher(entry.group(2));
            while (param.find()) {
                kinds.add(kind(entry.group(1), param.group(1)));
            }
            out.put(entry.group(1), new KernelSignature(entry.group(1), kinds));
        }
        return out;
    }

    private static Kind kind(String entry, String type) {
        return switch (type) {
            case "u64", "s64", "b64" -> Kind.B64;
            case "u32", "s32", "b32" -> Kind.I32;
            case "f32" -> Kind.F32;
            default -> throw new IllegalStateException("kernel " + entry + " has a ." + type + " parameter, which launches do not pass");
        };
    }
}
