// A CUDA stream as an owned handle: created on the current context, destroyed on close. A default
// stream's work is ordered against the legacy default stream, so the synchronous copies
// (cuMemcpyHtoD, ...) stay ordered with it; a non-blocking one is ordered by events only (for a
// copy stream that must not wait for the compute queue). Leaves out priorities.
package org.panatrain.bindings;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;

/**
 * A stream of the calling thread's current context.
 *
 * <pre>{@code
 * try (CudaStream s = CudaStream.create()) {
 *     CudaDriver.check(CudaDriver.cuMemsetD32Async(ptr, 0, n, s.handle()), "cuMemsetD32Async");
 *     s.synchronize();
 * }
 * }</pre>
 */
public final class CudaStream implements AutoCloseable {
    private final MemorySegment handle;
    private boolean closed;

    private CudaStream(MemorySegment handle) {
        this.handle = handle;
    }

    /** A new blocking stream (CU_STREAM_DEFAULT) on the current context. */
    public static CudaStream create() {
        return create(CudaDriver.CU_STREAM_DEFAULT);
    }

    /**
     * A new stream that does not synchronize with the legacy default stream
     * (CU_STREAM_NON_BLOCKING): order it against other streams with events.
     */
    public static CudaStream createNonBlocking() {
        return create(CudaDriver.CU_STREAM_NON_BLOCKING);
    }

    private static CudaStream create(int flags) {
        try (Arena a = Arena.ofConfined()) {
            MemorySegment p = a.allocate(ValueLayout.ADDRESS);
            CudaDriver.check(CudaDriver.cuStreamCreate(p, flags), "cuStreamCreate");
            return new CudaStream(p.get(ValueLayout.ADDRESS, 0));
        }
    }

    /** The CUstream. */
    public MemorySegment handle() {
        if (closed) {
            throw new IllegalStateException("stream used after close");
        }
        return handle;
    }

    /** Waits until all work queued on this stream has finished. */
    public void synchronize() {
        CudaDriver.check(CudaDriver.cuStreamSynchronize(handle()), "cuStreamSynchronize");
    }

    /** Makes work queued on this stream after now wait for {@code event}. */
    public void waitFor(CudaEvent event) {
        CudaDriver.check(CudaDriver.cuStreamWaitEvent(handle(), event.handle(), 0), "cuStreamWaitEvent");
    }

    /** Destroys the stream; after a sticky error the context is gone and nothing is called. */
    @Override
    public void close() {
        if (!closed) {
            closed = true;
            if (CudaDriver.stickyError() == null) {
                CudaDriver.check(CudaDriver.cuStreamDestroy(handle), "cuStreamDestroy");
            }
        }
    }
}
