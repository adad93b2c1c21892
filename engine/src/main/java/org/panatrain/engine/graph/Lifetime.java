// When a tensor is live in an op order: the input of the later memory planner.
package org.panatrain.engine.graph;

/**
 * The first and last op index (inclusive) at which a tensor is read or written; -1 for both
 * when no op uses it.
 *
 * <pre>{@code
 * Lifetime l = graph.lifetimes().get(spec.id());
 * boolean overlaps = l.first() <= other.last() && other.first() <= l.last();
 * }</pre>
 */
public record Lifetime(int first, int last) {
    /** True when some op uses the tensor. */
    public boolean used() {
        return first >= 0;
    }
}
