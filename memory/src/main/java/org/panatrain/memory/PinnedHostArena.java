// Page-locked host memory (cuMemHostAlloc) for fast and asynchronous host<->device copies; all of
// it is freed when the arena closes. It leaves out write-combined memory (slow to read from the
// CPU) and mapped (zero-copy) access.
package org.panatrain.memory;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.util.ArrayList;
import java.util.List;
import org.panatrain.bindings.CudaDriver;

/**
 * Pinned host tensors: readable and writable from Java like any host tensor, and copied to and
 * from the device at full PCIe/NVLink speed. Needs a current CUDA context.
 *
 * <pre>{@code
 * try (PinnedHostArena pinned = new PinnedHostArena("batches")) {
 *     Tensor tokens = pinned.allocate(DType.INT32, B, T);   // (B, T)
 *     DeviceMemory.copyAsync(deviceTokens, tokens, stream);
 * }
 * }</pre>
 */
public final class PinnedHostArena implements AutoCloseable, MemoryLedger.Entry {
    private final String name;
    private final Arena scope = Arena.ofShared();
    private final List<MemorySegment> allocations = new ArrayList<>(); // what cuMemHostAlloc returned
    private final List<MemorySegment> registrations = new ArrayList<>(); // what cuMemHostRegister pinned
    private long bytes;

    public PinnedHostArena(String name) {
        this.name = name;
        MemoryLedger.add(this);
    }

    /** A zero-filled pinned host tensor of {@code dtype} and {@code shape}. */
    public Tensor allocate(DType dtype, int... shape) {
        return Tensor.host(allocateBytes(Tensor.numel(shape) * dtype.byteSize()), dtype, shape);
    }

    /** A zero-filled pinned segment of {@code n} bytes, valid until close(). */
    public synchronized MemorySegment allocateBytes(long n) {
        requireOpen();
        try (Arena a = Arena.ofConfined()) {
            MemorySegment pp = a.allocate(ValueLayout.ADDRESS);
            int rc = CudaDriver.cuMemHostAlloc(pp, Math.max(n, 1), CudaDriver.CU_MEMHOSTALLOC_PORTABLE);
            if (rc != CudaDriver.CUDA_SUCCESS) {
                throw DeviceArena.allocationFailure("cuMemHostAlloc", rc, n, "pinned host arena \"" + name + "\"");
            }
            MemorySegment raw = pp.get(ValueLayout.ADDRESS, 0);
            allocations.add(raw);
            bytes += n;
            MemorySegment s = raw.reinterpret(n, scope, null);
            s.fill((byte) 0);
            return s;
        }
    }

    /**
     * Page-locks existing native host memory in place (cuMemHostRegister) until this arena
     * closes, so copies from it are as fast as from pinned memory.
     */
    public synchronized void register(MemorySegment hostMemory) {
        requireOpen();
        if (!hostMemory.isNative()) {
            throw new IllegalArgumentException("only native memory can be registered, not a heap segment");
        }
        CudaDriver.check(CudaDriver.cuMemHostRegister(hostMemory, hostMemory.byteSize(), CudaDriver.CU_MEMHOSTREGISTER_PORTABLE),
                "cuMemHostRegister(" + hostMemory.byteSize() + ")");
        registrations.add(hostMemory);
    }

    /** Bytes allocated by this arena (registrations excluded). */
    public synchronized long allocatedBytes() {
        return bytes;
    }

    @Override
    public synchronized String describe() {
        return name + " " + MemoryLedger.bytes(bytes) + " pinned host";
    }

    /** Frees every allocation and unregisters every registration; segments throw on use afterwards. */
    @Override
    public synchronized void close() {
        if (!scope.scope().isAlive()) {
            return;
        }
        scope.close();
        MemoryLedger.remove(this);
        if (CudaDriver.stickyError() != null) {
            return; // the context died with its pinned memory
        }
        for (MemorySegment r : registrations) {
            CudaDriver.check(CudaDriver.cuMemHostUnregister(r), "cuMemHostUnregister");
        }
        for (MemorySegment p : allocations) {
            CudaDriver.check(CudaDriver.cuMemFreeHost(p), "cuMemFreeHost");
        }
    }

    private void requireOpen() {
        if (!scope.scope().isAlive()) {
            throw new IllegalStateException("pinned host arena \"" + name + "\" used after close");
        }
    }
}
