// One row of a graph's tensor table: the name, shape, dtype and role of a tensor. No memory:
// the executor binds each spec to a view.
package org.panatrain.engine.graph;

import java.util.Arrays;
import org.panatrain.memory.DType;
import org.panatrain.memory.Tensor;

/**
 * A tensor of a {@link Graph}, identified by its index {@code id} in the graph's table.
 *
 * <pre>{@code
 * TensorSpec x = graph.tensor("h.0.ln_1.out", Category.ACTIVATION, DType.FP32, B, T, C);
 * long bytes = x.byteSize();
 * }</pre>
 */
public record TensorSpec(int id, String name, DType dtype, int[] shape, Category category) {

    public TensorSpec {
        shape = shape.clone();
        Tensor.numel(shape); // rejects negative dimensions and overflow
    }

    @Override
    public int[] shape() {
        return shape.clone();
    }

    /** Number of elements. */
    public long numel() {
        return Tensor.numel(shape);
    }

    /** Bytes of the elements. */
    public long byteSize() {
        return numel() * dtype.byteSize();
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof TensorSpec s && s.id == id && s.name.equals(name) && s.dtype == dtype
                && Arrays.equals(s.shape, shape) && s.category == category;
    }

    @Override
    public int hashCode() {
        return id;
    }

    @Override
    public String toString() {
        return name + " " + dtype + Arrays.toString(shape) + " " + category;
    }
}
