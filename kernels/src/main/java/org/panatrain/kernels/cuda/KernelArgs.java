// The argument block of one kernel launch, reused from launch to launch so a launch allocates
// nothing: each argument's value sits in an 8-byte slot and kernelParams points at the slots.
// It leaves out by-value structs larger than 8 bytes.
package org.panatrain.kernels.cuda;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import org.panatrain.memory.DeviceMemory;
import org.panatrain.memory.Tensor;

/**
 * Kernel arguments in declaration order; not thread-safe.
 *
 * <pre>{@code
 * try (KernelArgs args = new KernelArgs()) {
 *     args.clear().pointer(out).pointer(inp).i32(n);
 *     kernel.launch(grid, 1, 1, 256, 1, 1, 0, stream, args);
 * }
 * }</pre>
 */
public final class KernelArgs implements AutoCloseable {
    /** Most arguments a launch may carry. */
    public static final int MAX_ARGS = 32;
    private static final long SLOT = 8;

    private final Arena arena = Arena.ofShared();
    private final MemorySegment slots = arena.allocate(SLOT * MAX_ARGS, 8);
    private final MemorySegment pointers = arena.allocate(ValueLayout.ADDRESS, MAX_ARGS); // void*[MAX_ARGS]
    private int count;

    public KernelArgs() {
        for (int i = 0; i < MAX_ARGS; i++) {
            pointers.setAtIndex(ValueLayout.ADDRESS, i, slots.asSlice(i * SLOT, SLOT));
        }
    }

    /** Forgets the arguments of the previous launch. */
    public KernelArgs clear() {
        count = 0;
        return this;
    }

    /** A device pointer: the address of a live device tensor. */
    public KernelArgs pointer(Tensor deviceTensor) {
        return i64(DeviceMemory.devicePointer(deviceTensor, "kernel argument"));
    }

    /** A 32-bit int (also unsigned int). */
    public KernelArgs i32(int v) {
        slots.set(ValueLayout.JAVA_INT, next(), v);
        return this;
    }

    /** A 64-bit integer or a raw device address. */
    public KernelArgs i64(long v) {
        slots.set(ValueLayout.JAVA_LONG, next(), v);
        return this;
    }

    /** A float. */
    public KernelArgs f32(float v) {
        slots.set(ValueLayout.JAVA_FLOAT, next(), v);
        return this;
    }

    /** Number of arguments set since {@link #clear()}. */
    public int count() {
        return count;
    }

    /** The void** kernelParams of cuLaunchKernel. */
    MemorySegment kernelParams() {
        return pointers;
    }

    private long next() {
        if (count == MAX_ARGS) {
            throw new IllegalStateException("more than " + MAX_ARGS + " kernel arguments");
        }
        return count++ * SLOT;
    }

    @Override
    public void close() {
        arena.close();
    }
}
