// What a block keeps from its forward for the backward. NONE keeps everything; SELECTIVE drops
// the outputs of the cheap, memory-heavy ops (layernorm, attention with its (B,NH,T,T) scores,
// GELU: Korthikanti et al. 2022's selective recompute, llm.c's -r) and reruns those ops; FULL
// keeps only the block's input and output and reruns the whole block before its backward.
package org.panatrain.engine.graph;

import java.util.Locale;

/**
 * The recompute policy of one block.
 *
 * <pre>{@code
 * RecomputePolicy p = RecomputePolicy.parse("selective");
 * }</pre>
 */
public enum RecomputePolicy {
    NONE, SELECTIVE, FULL;

    /** The policy named {@code name} (any case), or an IllegalArgumentException listing the names. */
    public static RecomputePolicy parse(String name) {
        for (RecomputePolicy p : values()) {
            if (p.name().equalsIgnoreCase(name)) {
                return p;
            }
        }
        throw new IllegalArgumentException("unknown recompute policy \"" + name + "\"; known: none, selective, full");
    }

    @Override
    public String toString() {
        return name().toLowerCase(Locale.ROOT);
    }
}
