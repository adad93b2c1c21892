// Everything the CUDA backend needs per device: the primary context (current on the thread that
// opens it), one stream all work is queued on, the cuBLASLt handle and its workspace, which comes
// from a device arena. It leaves out multi-GPU and multiple streams.
package org.panatrain.kernels.cuda;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import org.panatrain.bindings.Cuda;
import org.panatrain.bindings.CublasLt;
import org.panatrain.bindings.CudaStream;
import org.panatrain.bindings.DeviceProperties;
import org.panatrain.bindings.PrimaryContext;
import org.panatrain.memory.DeviceArena;

/**
 * One device, ready for work. Not thread-safe: use it from the thread that opened it, or call
 * {@link #makeCurrent()} first on another.
 *
 * <pre>{@code
 * try (CudaContext cuda = CudaContext.open(0)) {
 *     CudaMatmul mm = cuda.matmul();
 *     ...
 *     cuda.synchronize();
 * }
 * }</pre>
 */
public final class CudaContext implements AutoCloseable {
    /** cuBLASLt workspace bytes (panatrain.cublaslt.workspace); 32 MiB is what Hopper's kernels want. */
    public static final long WORKSPACE_BYTES = Long.getLong("panatrain.cublaslt.workspace", 32L << 20);

    private final PrimaryContext context;
    private final DeviceProperties properties;
    private final CudaStream stream;
    private final DeviceArena workspaceArena;
    private final MemorySegment workspace;      // device buffer of WORKSPACE_BYTES
    private final MemorySegment cublasLtHandle; // cublasLtHandle_t, NULL when cuBLASLt is absent
    private CudaMatmul matmul;
    private boolean closed;

    private CudaContext(PrimaryContext context, CudaStream stream, DeviceArena workspaceArena) {
        this.context = context;
        this.properties = DeviceProperties.of(context.ordinal());
        this.stream = stream;
        this.workspaceArena = workspaceArena;
        this.workspace = workspaceArena.allocateBytes(WORKSPACE_BYTES);
        this.cublasLtHandle = Cuda.availability().cublasLtAvailable() ? createHandle() : MemorySegment.NULL;
    }

    /**
     * Opens device {@code ordinal}; throws an IllegalStateException with the reason when CUDA is
     * not available (check {@link Cuda#availability()} first to fall back quietly).
     */
    public static CudaContext open(int ordinal) {
        Cuda.Availability a = Cuda.availability();
        if (!a.available()) {
            throw new IllegalStateException("CUDA is not available: " + a.reason());
        }
        if (ordinal < 0 || ordinal >= a.deviceCount()) {
            throw new IllegalArgumentException("no CUDA device " + ordinal + " (" + a.deviceCount() + " found)");
        }
        PrimaryContext ctx = PrimaryContext.retain(ordinal);
        CudaStream stream = null;
        DeviceArena workspace = null;
        try {
            stream = CudaStream.create();
            workspace = DeviceArena.allocate("cublasLt-workspace", WORKSPACE_BYTES);
            return new CudaContext(ctx, stream, workspace);
        } catch (RuntimeException e) {
            // Undo what was made, newest first, keeping the original failure.
            if (workspace != null) {
                workspace.close();
            }
            if (stream != null) {
                stream.close();
            }
            ctx.close();
            throw e;
        }
    }

    private static MemorySegment createHandle() {
        try (Arena a = Arena.ofConfined()) {
            MemorySegment h = a.allocate(ValueLayout.ADDRESS);
            CublasLt.check(CublasLt.cublasLtCreate(h), "cublasLtCreate");
            return h.get(ValueLayout.ADDRESS, 0);
        }
    }

    /** The cuBLASLt matmuls of this context (created on first use, closed with the context). */
    public CudaMatmul matmul() {
        requireOpen();
        if (matmul == null) {
            if (cublasLtHandle.equals(MemorySegment.NULL)) {
                throw new IllegalStateException("cuBLASLt is not available: " + Cuda.availability().cublasLtReason());
            }
            matmul = new CudaMatmul(this);
        }
        return matmul;
    }

    /** Makes this context current on the calling thread. */
    public void makeCurrent() {
        context.makeCurrent();
    }

    /** Waits for everything queued on the stream. */
    public void synchronize() {
        stream.synchronize();
    }

    public CudaStream stream() {
        return stream;
    }

    public DeviceProperties properties() {
        return properties;
    }

    /** The cublasLtHandle_t. */
    MemorySegment cublasLtHandle() {
        return cublasLtHandle;
    }

    /** The cuBLASLt workspace (a device buffer). */
    MemorySegment workspace() {
        return workspace;
    }

    @Override
    public void close() {
        if (closed) {
            return;
        }
        closed = true;
        if (matmul != null) {
            matmul.close();
        }
        if (!cublasLtHandle.equals(MemorySegment.NULL) && org.panatrain.bindings.CudaDriver.stickyError() == null) {
            CublasLt.check(CublasLt.cublasLtDestroy(cublasLtHandle), "cublasLtDestroy");
        }
        workspaceArena.close();
        stream.close();
        context.close();
    }

    private void requireOpen() {
        if (closed) {
            throw new IllegalStateException("CUDA context used after close");
        }
    }
}
