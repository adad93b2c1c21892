// Loads the committed PTX (resources ptx/<module>.ptx) into the current CUDA context, letting the
// driver JIT-compile it for the device, and looks every kernel up once. A JIT failure throws with
// the JIT's error log; the info log (registers, spills) is kept for diagnostics. Leaves out
// launching (KernelLauncher) and choosing which kernel to run (CudaKernels).
package org.panatrain.kernels.cuda;

import static org.panatrain.bindings.CudaDriver.CU_JIT_ERROR_LOG_BUFFER;
import static org.panatrain.bindings.CudaDriver.CU_JIT_ERROR_LOG_BUFFER_SIZE_BYTES;
import static org.panatrain.bindings.CudaDriver.CU_JIT_INFO_LOG_BUFFER;
import static org.panatrain.bindings.CudaDriver.CU_JIT_INFO_LOG_BUFFER_SIZE_BYTES;
import static org.panatrain.bindings.CudaDriver.CU_JIT_LOG_VERBOSE;
import static org.panatrain.bindings.CudaDriver.check;

import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.panatrain.bindings.CudaDriver;
import org.panatrain.bindings.CudaException;

/** The loaded PTX modules of one context and their kernels, by entry-point name. */
final class PtxModules implements AutoCloseable {
    private static final int LOG_BYTES = 16 * 1024;

    private final List<MemorySegment> modules = new ArrayList<>();     // CUmodule handles
    private final Map<String, MemorySegment> functions = new HashMap<>(); // entry point -> CUfunction
    private final Map<String, String> infoLogs = new LinkedHashMap<>();   // module -> JIT info log

    /** Loads every module PtxKernel names; the context must be current on this thread. */
    PtxModules() {
        Map<String, List<PtxKernel>> byModule = new LinkedHashMap<>();
        for (PtxKernel k : PtxKernel.values()) {
            byModule.computeIfAbsent(k.module, m -> new ArrayList<>()).add(k);
        }
        try {
            for (var e : byModule.entrySet()) {
                MemorySegment module = load(e.getKey());
                modules.add(module);
                for (PtxKernel k : e.getValue()) {
                    for (String symbol : k.symbols()) {
                        functions.put(symbol, function(module, e.getKey(), symbol));
                    }
                }
            }
        } catch (RuntimeException e) {
            close();
            throw e;
        }
    }

    /** The kernel named {@code symbol}; every name of PtxKernel.symbols() is there. */
    MemorySegment function(String symbol) {
        MemorySegment f = functions.get(symbol);
        if (f == null) {
            throw new IllegalArgumentException("no CUDA kernel named " + symbol + " was loaded");
        }
        return f;
    }

    /** The JIT compiler's info log of each module (register use, spills), in load order. */
    Map<String, String> infoLogs() {
        return Map.copyOf(infoLogs);
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

    private MemorySegment load(String module) {
        try (Arena a = Arena.ofConfined()) {
            MemorySegment image = a.allocateFrom(ptxText(module), StandardCharsets.US_ASCII); // NUL-terminated
            MemorySegment infoLog = a.allocate(LOG_BYTES);
            MemorySegment errorLog = a.allocate(LOG_BYTES);
            int[] keys = {CU_JIT_INFO_LOG_BUFFER, CU_JIT_INFO_LOG_BUFFER_SIZE_BYTES, CU_JIT_ERROR_LOG_BUFFER,
                    CU_JIT_ERROR_LOG_BUFFER_SIZE_BYTES, CU_JIT_LOG_VERBOSE};
            MemorySegment options = a.allocateFrom(ValueLayout.JAVA_INT, keys);
            // Option values are void*: buffers by address, sizes and flags as the pointer's value.
            MemorySegment values = a.allocate(ValueLayout.ADDRESS, keys.length);
            values.setAtIndex(ValueLayout.ADDRESS, 0, infoLog);
            values.setAtIndex(ValueLayout.JAVA_LONG, 1, LOG_BYTES);
            values.setAtIndex(ValueLayout.ADDRESS, 2, errorLog);
            values.setAtIndex(ValueLayout.JAVA_LONG, 3, LOG_BYTES);
            values.setAtIndex(ValueLayout.JAVA_LONG, 4, 1);
            MemorySegment handle = a.allocate(ValueLayout.ADDRESS);
            int rc = CudaDriver.cuModuleLoadDataEx(handle, image, keys.length, options, values);
            infoLogs.put(module, infoLog.getString(0));
            if (rc != CudaDriver.CUDA_SUCCESS) {
                throw new CudaException("cuModuleLoadDataEx(ptx/" + module + ".ptx)", rc, CudaDriver.errorName(rc),
                        CudaDriver.errorString(rc) + "; JIT log: " + errorLog.getString(0).strip());
            }
            return handle.get(ValueLayout.ADDRESS, 0);
        }
    }

    private static MemorySegment function(MemorySegment module, String moduleName, String symbol) {
        try (Arena a = Arena.ofConfined()) {
            MemorySegment handle = a.allocate(ValueLayout.ADDRESS);
            check(CudaDriver.cuModuleGetFunction(handle, module, a.allocateFrom(symbol)),
                    "cuModuleGetFunction(" + moduleName + ".ptx, " + symbol + ")");
            return handle.get(ValueLayout.ADDRESS, 0);
        }
    }

    /** Unloads every module; the functions are invalid afterwards. */
    @Override
    public void close() {
        for (MemorySegment m : modules) {
            check(CudaDriver.cuModuleUnload(m), "cuModuleUnload");
        }
        modules.clear();
        functions.clear();
    }
}
