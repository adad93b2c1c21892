// Memory where a backend's tensors must live, for the engine's few long-lived allocations (the
// parameter block, the step arena, optimizer states): host memory for the CPU backend, device
// memory for the CUDA backend, one DeviceArena (one cuMemAlloc) per allocation, since the engine
// asks for a handful of large blocks and lays them out itself. It leaves out freeing single
// allocations: everything goes at close().
package org.panatrain.engine.graph;

import java.lang.foreign.MemorySegment;
import java.util.ArrayList;
import java.util.List;
import org.panatrain.kernels.Kernels;
import org.panatrain.memory.DType;
import org.panatrain.memory.DeviceArena;
import org.panatrain.memory.HostArena;
import org.panatrain.memory.Tensor;

/**
 * Allocates zero-filled tensors where {@code kernels} wants them; everything is freed on
 * {@link #close()}. For a device backend, the calling thread must have its CUDA context current
 * (the thread that created the backend does).
 *
 * <pre>{@code
 * try (BackendArena mem = BackendArena.forBackend(kernels)) {
 *     Tensor params = mem.allocate(DType.FP32, numParameters);
 * }
 * }</pre>
 */
public final class BackendArena implements AutoCloseable {
    private final Tensor.Location location;
    private final String owner;
    private final HostArena host;                                // host backends only
    private final List<DeviceArena> device = new ArrayList<>();  // device backends: one per allocation
    private long deviceBytes;

    private BackendArena(Tensor.Location location, String owner) {
        this.location = location;
        this.owner = owner;
        this.host = location == Tensor.Location.HOST ? new HostArena() : null;
    }

    /** An arena for the tensors of {@code kernels}. */
    public static BackendArena forBackend(Kernels kernels) {
        return new BackendArena(kernels.location(), kernels.name());
    }

    /** A zero-filled tensor of {@code dtype} and {@code shape}. */
    public Tensor allocate(DType dtype, int... shape) {
        return new Tensor(allocateBytes(Tensor.numel(shape) * dtype.byteSize()), dtype, shape, location);
    }

    /** A zero-filled segment of {@code bytes}: 64-byte aligned on the host, 256 on a device. */
    public MemorySegment allocateBytes(long bytes) {
        if (host != null) {
            return host.allocateBytes(bytes);
        }
        DeviceArena arena = DeviceArena.allocate(owner + " engine block " + device.size(), bytes);
        try {
            arena.zero();
        } catch (RuntimeException e) {
            arena.close();
            throw e;
        }
        device.add(arena);
        deviceBytes += bytes;
        return arena.allocateBytes(bytes);
    }

    /** Where the tensors of this arena live. */
    public Tensor.Location location() {
        return location;
    }

    /** Bytes handed out so far. */
    public long allocatedBytes() {
        return host != null ? host.allocatedBytes() : deviceBytes;
    }

    @Override
    public void close() {
        if (host != null) {
            host.close();
        }
        device.forEach(DeviceArena::close);
        device.clear();
    }
}
