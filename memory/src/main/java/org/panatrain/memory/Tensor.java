// A tensor view: a memory segment, its dtype and its shape. It owns nothing; the arena that
// made the segment owns the memory. Strides are always row-major and contiguous.
package org.panatrain.memory;

import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.util.Arrays;

/**
 * A contiguous, row-major view of {@code shape} elements of {@code dtype} in {@code data}.
 * Host tensors can be read and written from Java; device tensors hold a device address in
 * {@code data.address()} and must only be handed to the CUDA backend.
 *
 * <pre>{@code
 * try (HostArena arena = new HostArena()) {
 *     Tensor x = arena.allocate(DType.FP32, 4, 8);   // (B, C)
 *     x.setFloat(3, 1.5f);
 *     Tensor row = x.view(32);                        // same memory, flat
 * }
 * }</pre>
 */
public record Tensor(MemorySegment data, DType dtype, int[] shape, Location location) {

    /** Where the bytes of a tensor live. */
    public enum Location { HOST, DEVICE }

    private static final ValueLayout.OfFloat F32 = ValueLayout.JAVA_FLOAT_UNALIGNED;
    private static final ValueLayout.OfInt I32 = ValueLayout.JAVA_INT_UNALIGNED;

    public Tensor {
        shape = shape.clone();
        long need = numel(shape) * dtype.byteSize();
        if (data.byteSize() < need) {
            throw new IllegalArgumentException("segment of " + data.byteSize() + " bytes is too small for "
                    + dtype + Arrays.toString(shape) + " (" + need + " bytes)");
        }
    }

    /** A host tensor over {@code data}. */
    public static Tensor host(MemorySegment data, DType dtype, int... shape) {
        return new Tensor(data, dtype, shape, Location.HOST);
    }

    /** Number of elements of a shape, with overflow checked. */
    public static long numel(int... shape) {
        long n = 1;
        for (int d : shape) {
            if (d < 0) {
                throw new IllegalArgumentException("negative dimension in " + Arrays.toString(shape));
            }
            n = Math.multiplyExact(n, d);
        }
        return n;
    }

    @Override
    public int[] shape() {
        return shape.clone();
    }

    /** Size of dimension {@code i}; negative i counts from the end. */
    public int dim(int i) {
        return shape[i < 0 ? shape.length + i : i];
    }

    /** Number of dimensions. */
    public int rank() {
        return shape.length;
    }

    /** Number of elements. */
    public long numel() {
        return numel(shape);
    }

    /** Bytes of the elements (the segment may be larger). */
    public long byteSize() {
        return numel() * dtype.byteSize();
    }

    /** Product of all dimensions but the last: the row count when the tensor is read as a matrix. */
    public int rows() {
        return Math.toIntExact(numel() / Math.max(1, shape[shape.length - 1]));
    }

    /** The same memory under another shape with the same element count. */
    public Tensor view(int... newShape) {
        if (numel(newShape) != numel()) {
            throw new IllegalArgumentException("cannot view " + Arrays.toString(shape) + " as " + Arrays.toString(newShape));
        }
        return new Tensor(data, dtype, newShape, location);
    }

    /** Elements [offset, offset + numel(newShape)) as a tensor of {@code newShape}. */
    public Tensor slice(long offsetElements, int... newShape) {
        long bytes = numel(newShape) * dtype.byteSize();
        return new Tensor(data.asSlice(offsetElements * dtype.byteSize(), bytes), dtype, newShape, location);
    }

    public float getFloat(long i) {
        return data.getAtIndex(F32, i);
    }

    public void setFloat(long i, float v) {
        data.setAtIndex(F32, i, v);
    }

    public int getInt(long i) {
        return data.getAtIndex(I32, i);
    }

    public void setInt(long i, int v) {
        data.setAtIndex(I32, i, v);
    }

    /** Copies a host FP32 tensor into a new array. */
    public float[] toFloatArray() {
        requireHost(DType.FP32);
        return data.asSlice(0, byteSize()).toArray(ValueLayout.JAVA_FLOAT);
    }

    /** Copies {@code values} into a host FP32 tensor of the same element count. */
    public void copyFrom(float[] values) {
        requireHost(DType.FP32);
        if (values.length != numel()) {
            throw new IllegalArgumentException(values.length + " values for " + numel() + " elements");
        }
        MemorySegment.copy(values, 0, data, ValueLayout.JAVA_FLOAT, 0, values.length);
    }

    private void requireHost(DType want) {
        if (location != Location.HOST || dtype != want) {
            throw new IllegalStateException("need a host " + want + " tensor, have a " + location + " " + dtype);
        }
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof Tensor t && t.data.equals(data) && t.dtype == dtype
                && Arrays.equals(t.shape, shape) && t.location == location;
    }

    @Override
    public int hashCode() {
        return data.hashCode() * 31 + Arrays.hashCode(shape);
    }

    @Override
    public String toString() {
        return location.name().toLowerCase() + " " + dtype + Arrays.toString(shape);
    }
}
