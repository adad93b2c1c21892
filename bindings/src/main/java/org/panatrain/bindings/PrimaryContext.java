// The primary context of one device, retained and made current on the calling thread; released
// on close. The primary context is the one the CUDA runtime and PyTorch use too, so libraries
// sharing the process share it. It leaves out creating private contexts (cuCtxCreate).
package org.panatrain.bindings;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;

/**
 * A retained primary context.
 *
 * <pre>{@code
 * try (PrimaryContext ctx = PrimaryContext.retain(0)) {
 *     // CUDA calls on this thread use device 0
 * }
 * }</pre>
 */
public final class PrimaryContext implements AutoCloseable {
    private final int device;      // CUdevice
    private final int ordinal;
    private final MemorySegment handle; // CUcontext
    private boolean closed;

    private PrimaryContext(int ordinal, int device, MemorySegment handle) {
        this.ordinal = ordinal;
        this.device = device;
        this.handle = handle;
    }

    /** Initializes the driver, retains device {@code ordinal}'s primary context and makes it current here. */
    public static PrimaryContext retain(int ordinal) {
        CudaDriver.check(CudaDriver.cuInit(0), "cuInit");
        try (Arena a = Arena.ofConfined()) {
            MemorySegment dev = a.allocate(ValueLayout.JAVA_INT);
            CudaDriver.check(CudaDriver.cuDeviceGet(dev, ordinal), "cuDeviceGet(" + ordinal + ")");
            int device = dev.get(ValueLayout.JAVA_INT, 0);
            MemorySegment ctx = a.allocate(ValueLayout.ADDRESS);
            CudaDriver.check(CudaDriver.cuDevicePrimaryCtxRetain(ctx, device), "cuDevicePrimaryCtxRetain(" + ordinal + ")");
            PrimaryContext c = new PrimaryContext(ordinal, device, ctx.get(ValueLayout.ADDRESS, 0));
            c.makeCurrent();
            return c;
        }
    }

    /** Binds this context to the calling thread (each thread that calls CUDA must do this once). */
    public void makeCurrent() {
        CudaDriver.check(CudaDriver.cuCtxSetCurrent(handle), "cuCtxSetCurrent");
    }

    /** Waits for all work of the context. */
    public void synchronize() {
        CudaDriver.check(CudaDriver.cuCtxSynchronize(), "cuCtxSynchronize");
    }

    /** The CUdevice handle. */
    public int device() {
        return device;
    }

    /** The device's ordinal (0 for the first GPU). */
    public int ordinal() {
        return ordinal;
    }

    /** The CUcontext. */
    public MemorySegment handle() {
        return handle;
    }

    /** Releases the context; after a sticky error the release is still made, but its status ignored. */
    @Override
    public void close() {
        if (!closed) {
            closed = true;
            int rc = CudaDriver.cuDevicePrimaryCtxRelease(device);
            if (CudaDriver.stickyError() == null) {
                CudaDriver.check(rc, "cuDevicePrimaryCtxRelease(" + ordinal + ")");
            }
        }
    }
}
