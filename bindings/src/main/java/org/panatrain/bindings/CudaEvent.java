// A CUDA event as an owned handle, for ordering streams and timing GPU work. It leaves out
// interprocess events.
package org.panatrain.bindings;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;

/**
 * An event of the current context.
 *
 * <pre>{@code
 * try (CudaEvent start = CudaEvent.create(); CudaEvent stop = CudaEvent.create()) {
 *     start.record(stream);  ...work...  stop.record(stream);
 *     float ms = stop.millisecondsSince(start);
 * }
 * }</pre>
 */
public final class CudaEvent implements AutoCloseable {
    private final MemorySegment handle;
    private boolean closed;

    private CudaEvent(MemorySegment handle) {
        this.handle = handle;
    }

    /** A new timing-capable event. */
    public static CudaEvent create() {
        return create(CudaDriver.CU_EVENT_DEFAULT);
    }

    /**
     * A new event for ordering only (CU_EVENT_DISABLE_TIMING): cheaper to record and wait on;
     * the driver refuses {@link #millisecondsSince} on it.
     */
    public static CudaEvent createForOrdering() {
        return create(CudaDriver.CU_EVENT_DISABLE_TIMING);
    }

    private static CudaEvent create(int flags) {
        try (Arena a = Arena.ofConfined()) {
            MemorySegment p = a.allocate(ValueLayout.ADDRESS);
            CudaDriver.check(CudaDriver.cuEventCreate(p, flags), "cuEventCreate");
            return new CudaEvent(p.get(ValueLayout.ADDRESS, 0));
        }
    }

    /** The CUevent. */
    public MemorySegment handle() {
        if (closed) {
            throw new IllegalStateException("event used after close");
        }
        return handle;
    }

    /** Records this event on {@code stream} (null: the legacy default stream). */
    public void record(CudaStream stream) {
        CudaDriver.check(CudaDriver.cuEventRecord(handle(), stream == null ? MemorySegment.NULL : stream.handle()), "cuEventRecord");
    }

    /** Waits for the work before this event's last record. */
    public void synchronize() {
        CudaDriver.check(CudaDriver.cuEventSynchronize(handle()), "cuEventSynchronize");
    }

    /** Milliseconds from {@code start} to this event; waits for this event first. */
    public float millisecondsSince(CudaEvent start) {
        synchronize();
        try (Arena a = Arena.ofConfined()) {
            MemorySegment ms = a.allocate(ValueLayout.JAVA_FLOAT);
            CudaDriver.check(CudaDriver.cuEventElapsedTime(ms, start.handle(), handle()), "cuEventElapsedTime");
            return ms.get(ValueLayout.JAVA_FLOAT, 0);
        }
    }

    @Override
    public void close() {
        if (!closed) {
            closed = true;
            if (CudaDriver.stickyError() == null) {
                CudaDriver.check(CudaDriver.cuEventDestroy(handle), "cuEventDestroy");
            }
        }
    }
}
