// One block of a model's forward, as the recompute scheduler sees it: the forward op indices
// to rerun under each policy, in forward order. The model says which ops these are (GPT-2: one
// per transformer layer); the FULL list must leave out the op that makes the block's output.
package org.panatrain.engine.graph;

/**
 * Forward op indices (ascending) rerun under {@link RecomputePolicy#SELECTIVE} and under
 * {@link RecomputePolicy#FULL}.
 *
 * <pre>{@code
 * RecomputeBlock layer = new RecomputeBlock("h.0", new int[] {1, 4, 11}, new int[] {1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11});
 * }</pre>
 */
public record RecomputeBlock(String name, int[] selectiveOps, int[] fullOps) {

    public RecomputeBlock {
        selectiveOps = selectiveOps.clone();
        fullOps = fullOps.clone();
    }

    /** The ops rerun under {@code policy}, ascending; empty for NONE. */
    public int[] ops(RecomputePolicy policy) {
        return switch (policy) {
            case NONE -> new int[0];
            case SELECTIVE -> selectiveOps.clone();
            case FULL -> fullOps.clone();
        };
    }
}
