// One device allocation (cuMemAlloc) cut into tensors by offset, 256-byte aligned, released as a
// whole. Every tensor's segment is the device address reinterpreted with this arena's scope, so a
// tensor used after close() is detected (scope().isAlive()) before any driver call. It leaves out
// freeing single tensors (the memory planner lays the arena out) and managed memory.
package org.panatrain.memory;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.util.concurrent.atomic.AtomicLong;
import org.panatrain.bindings.CudaDriver;
import org.panatrain.bindings.CudaException;

/**
 * Device memory for tensors. The calling thread must have the CUDA context current (CudaContext
 * makes it so on the thread that creates it).
 *
 * <pre>{@code
 * try (DeviceArena arena = DeviceArena.allocate("activations", 1L << 30)) {
 *     Tensor x = arena.allocate(DType.BF16, B, T, C);   // (B, T, C) on the device
 *     DeviceMemory.copy(x, hostX);
 * }
 * }</pre>
 */
public final class DeviceArena implements AutoCloseable, MemoryLedger.Entry {
    /** Alignment of every buffer: what cuBLASLt and vectorized kernels want (cudaMalloc gives 256). */
    public static final long ALIGNMENT = 256;
    /** Successful cuMemAlloc calls of {@link #allocate}, in this JVM: a steady training step makes none. */
    private static final AtomicLong ALLOCATIONS = new AtomicLong();

    private final String name;
    private final long base;             // CUdeviceptr of the one allocation
    private final ArenaLayout layout;
    private final Arena scope = Arena.ofShared();

    private DeviceArena(String name, long base, long capacity) {
        this.name = name;
        this.base = base;
        this.layout = new ArenaLayout(capacity, ALIGNMENT);
        MemoryLedger.add(this);
    }

    /**
     * Allocates {@code capacity} bytes on the current context's device. Out of memory throws a
     * {@link CudaException} naming the bytes asked for, the device's total and free bytes, and
     * what the live arenas hold.
     */
    public static DeviceArena allocate(String name, long capacity) {
        try (Arena a = Arena.ofConfined()) {
            MemorySegment p = a.allocate(ValueLayout.JAVA_LONG);
            int rc = CudaDriver.cuMemAlloc(p, Math.max(capacity, 1));
            if (rc != CudaDriver.CUDA_SUCCESS) {
                throw allocationFailure("cuMemAlloc", rc, capacity, "device arena \"" + name + "\"");
            }
            ALLOCATIONS.incrementAndGet();
            return new DeviceArena(name, p.get(ValueLayout.JAVA_LONG, 0), capacity);
        }
    }

    /** Device arenas allocated (cuMemAlloc calls) in this JVM so far, on any thread: a test's probe. */
    public static long allocationCount() {
        return ALLOCATIONS.get();
    }

    /** Free bytes of the current context's device now (cuMemGetInfo), counting every process's use. */
    public static long freeDeviceBytes() {
        try (Arena a = Arena.ofConfined()) {
            MemorySegment free = a.allocate(ValueLayout.JAVA_LONG);
            MemorySegment total = a.allocate(ValueLayout.JAVA_LONG);
            CudaDriver.check(CudaDriver.cuMemGetInfo(free, total), "cuMemGetInfo");
            return free.get(ValueLayout.JAVA_LONG, 0);
        }
    }

    /** A CudaException for a failed allocation of {@code bytes}, with the memory situation in its message. */
    static CudaException allocationFailure(String call, int rc, long bytes, String what) {
        String device;
        try (Arena a = Arena.ofConfined()) {
            MemorySegment free = a.allocate(ValueLayout.JAVA_LONG);
            MemorySegment total = a.allocate(ValueLayout.JAVA_LONG);
            int r = CudaDriver.stickyError() == null ? CudaDriver.cuMemGetInfo(free, total) : -1;
            device = r == CudaDriver.CUDA_SUCCESS
                    ? "device has " + MemoryLedger.bytes(total.get(ValueLayout.JAVA_LONG, 0)) + " total, "
                      + MemoryLedger.bytes(free.get(ValueLayout.JAVA_LONG, 0)) + " free"
                    : "device memory unknown (cuMemGetInfo failed)";
        }
        String message = CudaDriver.errorString(rc) + "; asked for " + bytes + " bytes (" + MemoryLedger.bytes(bytes)
                + ") for " + what + "; " + device + "; " + MemoryLedger.summary();
        return new CudaException(call + "(" + bytes + ")", rc, CudaDriver.errorName(rc), message);
    }

    /** A device tensor of {@code dtype} and {@code shape} at the next aligned offset; contents undefined. */
    public Tensor allocate(DType dtype, int... shape) {
        long bytes = Tensor.numel(shape) * dtype.byteSize();
        return new Tensor(allocateBytes(bytes), dtype, shape, Tensor.Location.DEVICE);
    }

    /** A device buffer of {@code bytes} (e.g. cuBLASLt's workspace): its address is a CUdeviceptr. */
    public MemorySegment allocateBytes(long bytes) {
        requireOpen();
        long offset = layout.reserve(bytes);
        // The segment stands for device memory: never dereference it from Java. Its scope is the
        // arena's, so every use can check that the arena is still open.
        return MemorySegment.ofAddress(base + offset).reinterpret(bytes, scope, null);
    }

    /** Sets every byte of the arena to zero (cuMemsetD8 on the whole allocation); returns when done. */
    public void zero() {
        requireOpen();
        CudaDriver.check(CudaDriver.cuMemsetD8(base, (byte) 0, capacity()), "cuMemsetD8(" + capacity() + ")");
    }

    /** Forgets every tensor handed out so far; the device memory stays allocated. */
    public void reset() {
        requireOpen();
        layout.reset();
    }

    public String name() {
        return name;
    }

    /** CUdeviceptr of the start of the arena. */
    public long baseAddress() {
        requireOpen();
        return base;
    }

    /** Bytes handed out, alignment padding included. */
    public long used() {
        return layout.used();
    }

    public long capacity() {
        return layout.capacity();
    }

    public boolean isOpen() {
        return scope.scope().isAlive();
    }

    @Override
    public String describe() {
        return name + " " + MemoryLedger.bytes(capacity()) + " (" + MemoryLedger.bytes(used()) + " used)";
    }

    /** Frees the device memory; tensors of this arena throw on use from now on. */
    @Override
    public void close() {
        if (!isOpen()) {
            return;
        }
        scope.close();
        MemoryLedger.remove(this);
        // After a sticky error the context is gone with its memory: there is nothing left to free.
        if (CudaDriver.stickyError() == null) {
            CudaDriver.check(CudaDriver.cuMemFree(base), "cuMemFree(" + name + ")");
        }
    }

    private void requireOpen() {
        if (!isOpen()) {
            throw new IllegalStateException("device arena \"" + name + "\" used after close");
        }
    }
}
