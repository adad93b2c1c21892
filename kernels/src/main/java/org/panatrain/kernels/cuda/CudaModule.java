// A module JIT-compiled by the driver from PTX text, with the JIT's info and error logs: a PTX
// that does not assemble becomes a CudaException carrying the error log. It leaves out cubins
// and fatbins (the project ships PTX only) and module globals.
package org.panatrain.kernels.cuda;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import org.panatrain.bindings.CudaDriver;
import org.panatrain.bindings.CudaException;

/**
 * A loaded module of the current context.
 *
 * <pre>{@code
 * try (CudaModule m = CudaModule.load("gelu", ptxText)) {
 *     CudaFunction f = m.function("gelu_forward");
 * }
 * }</pre>
 */
public final class CudaModule implements AutoCloseable {
    private static final int LOG_BYTES = 16 * 1024;

    private final String name;
    private final MemorySegment handle; // CUmodule
    private final String infoLog;
    private boolean closed;

    private CudaModule(String name, MemorySegment handle, String infoLog) {
        this.name = name;
        this.handle = handle;
        this.infoLog = infoLog;
    }

    /** JIT-compiles {@code ptx} for the current device; {@code name} is for messages only. */
    public static CudaModule load(String name, String ptx) {
        try (Arena a = Arena.ofConfined()) {
            MemorySegment image = a.allocateFrom(ptx); // NUL-terminated, as the driver requires
            MemorySegment info = a.allocate(LOG_BYTES);
            MemorySegment error = a.allocate(LOG_BYTES);
            int[] keys = {CudaDriver.CU_JIT_INFO_LOG_BUFFER, CudaDriver.CU_JIT_INFO_LOG_BUFFER_SIZE_BYTES,
                          CudaDriver.CU_JIT_ERROR_LOG_BUFFER, CudaDriver.CU_JIT_ERROR_LOG_BUFFER_SIZE_BYTES,
                          CudaDriver.CU_JIT_LOG_VERBOSE};
            MemorySegment options = a.allocateFrom(ValueLayout.JAVA_INT, keys);
            MemorySegment values = a.allocate(ValueLayout.ADDRESS, keys.length);
            // Pointer options are passed as pointers, integer options as the integer cast to void*.
            values.setAtIndex(ValueLayout.ADDRESS, 0, info);
            values.setAtIndex(ValueLayout.ADDRESS, 1, MemorySegment.ofAddress(LOG_BYTES));
            values.setAtIndex(ValueLayout.ADDRESS, 2, error);
            values.setAtIndex(ValueLayout.ADDRESS, 3, MemorySegment.ofAddress(LOG_BYTES));
            values.setAtIndex(ValueLayout.ADDRESS, 4, MemorySegment.ofAddress(1));
            MemorySegment module = a.allocate(ValueLayout.ADDRESS);
            int rc = CudaDriver.cuModuleLoadDataEx(module, image, keys.length, options, values);
            if (rc != CudaDriver.CUDA_SUCCESS) {
                String log = error.getString(0).strip();
                String call = "cuModuleLoadDataEx(" + name + ")";
                try {
                    CudaDriver.check(rc, call); // records a sticky error, if it is one
                } catch (CudaException e) {
                    throw new CudaException(call, rc, e.statusName(),
                            CudaDriver.errorString(rc) + (log.isEmpty() ? "" : "; JIT error log:\n" + log));
                }
            }
            return new CudaModule(name, module.get(ValueLayout.ADDRESS, 0), info.getString(0).strip());
        }
    }

    /** The kernel {@code kernelName} (its name in the PTX, i.e. extern "C" or mangled). */
    public CudaFunction function(String kernelName) {
        requireOpen();
        try (Arena a = Arena.ofConfined()) {
            MemorySegment f = a.allocate(ValueLayout.ADDRESS);
            CudaDriver.check(CudaDriver.cuModuleGetFunction(f, handle, a.allocateFrom(kernelName)),
                    "cuModuleGetFunction(" + name + ", " + kernelName + ")");
            return new CudaFunction(kernelName, f.get(ValueLayout.ADDRESS, 0), this);
        }
    }

    /** What the JIT reported while compiling (registers, spills with the verbose log), possibly empty. */
    public String infoLog() {
        return infoLog;
    }

    public String name() {
        return name;
    }

    boolean isOpen() {
        return !closed;
    }

    @Override
    public void close() {
        if (!closed) {
            closed = true;
            if (CudaDriver.stickyError() == null) {
                CudaDriver.check(CudaDriver.cuModuleUnload(handle), "cuModuleUnload(" + name + ")");
            }
        }
    }

    private void requireOpen() {
        if (closed) {
            throw new IllegalStateException("module " + name + " used after close");
        }
    }
}
