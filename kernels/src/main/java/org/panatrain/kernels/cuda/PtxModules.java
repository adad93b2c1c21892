// The committed PTX of native-src (resources ptx/<module>.ptx), JIT-loaded into the current
// context as CudaModules, and every kernel PtxKernel names looked up once. Leaves out launching
// (KernelLauncher) and choosing which kernel to run (CudaKernels).
package org.panatrain.kernels.cuda;

import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;

/** The loaded PTX modules of one context and their kernels, by entry-point name. */
final class PtxModules implements AutoCloseable {
    private final List<CudaModule> modules = new ArrayList<>();
    private final Map<String, CudaFunction> functions = new HashMap<>(); // entry point -> kernel

    /** Loads every module PtxKernel names; the context must be current on this thread. */
    PtxModules() {
        Set<String> names = new LinkedHashSet<>();
        for (PtxKernel k : PtxKernel.values()) {
            names.add(k.module);
        }
        try {
            for (String name : names) {
                CudaModule module = CudaModule.load("ptx/" + name + ".ptx", ptxText(name));
                modules.add(module);
                for (PtxKernel k : PtxKernel.values()) {
                    if (k.module.equals(name)) {
                        for (String symbol : k.symbols()) {
                            functions.put(symbol, module.function(symbol));
                        }
                    }
                }
            }
        } catch (RuntimeException e) {
            close();
            throw e;
        }
    }

    /** The kernel named {@code symbol}; every name of PtxKernel.symbols() is there. */
    CudaFunction function(String symbol) {
        CudaFunction f = functions.get(symbol);
        if (f == null) {
            throw new IllegalArgumentException("no CUDA kernel named " + symbol + " was loaded");
        }
        return f;
    }

    /** The JIT compiler's info log of each module (registers, spills), in load order. */
    Map<String, String> infoLogs() {
        Map<String, String> logs = new LinkedHashMap<>();
        for (CudaModule m : modules) {
            logs.put(m.name(), m.infoLog());
        }
        return logs;
    }

    /** The text of resource ptx/{@code module}.ptx. */
    static String ptxText(String module) {
        String resource = "/ptx/" + module + ".ptx";
        try (InputStream in = PtxModules.class.getResourceAsStream(resource)) {
            if (in == null) {
                throw new IllegalStateException("resource " + resource + " is missing from the kernels jar");
            }
            return new String(in.readAllBytes(), StandardCharsets.US_ASCII);
        } catch (IOException e) {
            throw new UncheckedIOException("reading " + resource, e);
        }
    }

    /** Unloads every module; the functions are invalid afterwards. */
    @Override
    public void close() {
        for (CudaModule m : modules) {
            m.close();
        }
        modules.clear();
        functions.clear();
    }
}
