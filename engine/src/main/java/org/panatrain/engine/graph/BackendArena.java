// Memory where a backend's tensors must live, for the engine's few long-lived allocations (the
// parameter block, the step arena). Host memory only for now: device arenas come with the CUDA
// backend, and asking for one before then fails with a message saying so.
package org.panatrain.engine.graph;

import java.lang.foreign.MemorySegment;
import org.panatrain.kernels.Kernels;
import org.panatrain.memory.DType;
import org.panatrain.memory.HostArena;
import org.panatrain.memory.Tensor;

/**
 * Allocates tensors where {@code kernels} wants them; everything is freed on {@link #close()}.
 *
 * <pre>{@code
 * try (BackendArena mem = BackendArena.forBackend(kernels)) {
 *     Tensor params = mem.allocate(DType.FP32, numParameters);
 * }
 * }</pre>
 */
public final class BackendArena implements AutoCloseable {
    private final HostArena host;
    private final Tensor.Location location;

    private BackendArena(HostArena host, Tensor.Location location) {
        this.host = host;
        this.location = location;
    }

    /** An arena for the tensors of {@code kernels}. */
    public static BackendArena forBackend(Kernels kernels) {
        if (kernels.location() != Tensor.Location.HOST) {
            throw new UnsupportedOperationException("backend " + kernels.name()
                    + " needs device memory, which the engine cannot allocate yet");
        }
        return new BackendArena(new HostArena(), kernels.location());
    }

    /** A zero-filled tensor of {@code dtype} and {@code shape}. */
    public Tensor allocate(DType dtype, int... shape) {
        return new Tensor(allocateBytes(Tensor.numel(shape) * dtype.byteSize()), dtype, shape, location);
    }

    /** A zero-filled segment of {@code bytes}, 64-byte aligned. */
    public MemorySegment allocateBytes(long bytes) {
        return host.allocateBytes(bytes);
    }

    /** Where the tensors of this arena live. */
    public Tensor.Location location() {
        return location;
    }

    /** Bytes handed out so far. */
    public long allocatedBytes() {
        return host.allocatedBytes();
    }

    @Override
    public void close() {
        host.close();
    }
}
