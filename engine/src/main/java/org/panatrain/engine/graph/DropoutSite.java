// One place of a graph where dropout happens (the embedding output, a layer's attention
// probabilities, a residual branch): its id, and the runtime slots of the probability (a float
// scalar, 0 at evaluation) and of the step's seed (a long). The site's Philox seed mixes the two,
// so every site of a step draws its own mask and forward, backward and recompute draw the same
// one. Leaves out the masks (Kernels.dropout, Philox).
package org.panatrain.engine.graph;

import org.panatrain.kernels.SplitMix64;

/**
 * A dropout site of a graph.
 *
 * <pre>{@code
 * DropoutSite site = new DropoutSite(0, g.scalar("dropout"), g.seed("dropout seed"));
 * g.add(new Op.Dropout(dropped, x, site));
 * }</pre>
 *
 * @param id              the site's number, unique in its graph
 * @param probabilitySlot runtime scalar: the probability of dropping an element, in [0, 1)
 * @param seedSlot        runtime seed: the step's, from which every site's seed is derived
 */
public record DropoutSite(int id, int probabilitySlot, int seedSlot) {

    /** The probability set for this run. */
    public float probability(float[] scalars) {
        return scalars[probabilitySlot];
    }

    /** This site's Philox seed for this run: output {@code id} of SplitMix64 seeded with the step's seed. */
    public long seed(long[] seeds) {
        return SplitMix64.output(seeds[seedSlot], id);
    }
}
