// Host memory for tensors: one shared Arena per context, closed as a whole. Pinned host memory
// (cuMemHostAlloc) comes with the CUDA half of memory/; this arena is plain native memory.
package org.panatrain.memory;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;

/**
 * Owns native host memory for tensors; everything it allocated is freed on {@link #close()},
 * and a tensor used after that throws {@link IllegalStateException} instead of crashing.
 *
 * <pre>{@code
 * try (HostArena arena = new HostArena()) {
 *     Tensor logits = arena.allocate(DType.FP32, B * T, V);
 * }
 * }</pre>
 */
public final class HostArena implements AutoCloseable {
    /** Alignment of every allocation: one AVX-512 vector and one cache line. */
    public static final long ALIGNMENT = 64;

    private final Arena arena = Arena.ofShared();
    private long allocatedBytes;

    /** A zero-filled host tensor of {@code dtype} and {@code shape}. */
    public Tensor allocate(DType dtype, int... shape) {
        long bytes = Tensor.numel(shape) * dtype.byteSize();
        return Tensor.host(allocateBytes(bytes), dtype, shape);
    }

    /** A zero-filled, 64-byte aligned segment of {@code bytes}. */
    public synchronized MemorySegment allocateBytes(long bytes) {
        MemorySegment s = arena.allocate(Math.max(bytes, 1), ALIGNMENT);
        allocatedBytes += bytes;
        return s.asSlice(0, bytes);
    }

    /** Bytes handed out so far. */
    public synchronized long allocatedBytes() {
        return allocatedBytes;
    }

    @Override
    public void close() {
        arena.close();
    }
}
