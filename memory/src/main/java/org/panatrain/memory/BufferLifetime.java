// One buffer to place in a planned arena: its size and the span of op indices (inclusive) of an
// execution order during which it must keep its bytes. Input of the MemoryPlanner; knows nothing
// of tensors, shapes or graphs, so that the planner stays independent of the engine.
package org.panatrain.memory;

import java.util.Objects;

/**
 * A buffer live from op {@code firstUse} to op {@code lastUse}, both inclusive. {@code category}
 * is a free label ("ACTIVATION", "TEMPORARY", ...) by which a {@link MemoryPlan} sums the bytes
 * at its peak.
 *
 * <pre>{@code
 * var qkv = new BufferLifetime("h.0.attn.c_attn.out", 3L * B * T * C * 4, 3, 97, "ACTIVATION");
 * }</pre>
 */
public record BufferLifetime(String name, long bytes, int firstUse, int lastUse, String category) {

    public BufferLifetime {
        Objects.requireNonNull(name, "name");
        Objects.requireNonNull(category, "category");
        if (bytes < 0) {
            throw new IllegalArgumentException("buffer " + name + " has negative size " + bytes);
        }
        if (firstUse < 0 || lastUse < firstUse) {
            throw new IllegalArgumentException("buffer " + name + " has an invalid lifetime [" + firstUse + ", "
                    + lastUse + "]");
        }
    }

    /** True when both buffers are live at some common op index. */
    public boolean overlapsInTime(BufferLifetime other) {
        return firstUse <= other.lastUse && other.firstUse <= lastUse;
    }
}
