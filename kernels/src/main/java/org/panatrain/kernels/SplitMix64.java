// Seeds for the dropout sites: SplitMix64 (Steele, Lea, Flood, "Fast splittable pseudorandom
// number generators", OOPSLA'14; java.util.SplittableRandom's mixer with its default gamma), a
// counter-based 64-bit mixer, so a seed derived from (run seed, step, micro-step, site) needs no
// stored generator state and a resumed run derives the same ones. Leaves out the masks
// themselves (Philox does those).
package org.panatrain.kernels;

/**
 * Output number {@code index} of the SplitMix64 sequence seeded with {@code seed}.
 *
 * <pre>{@code
 * long stepSeed = SplitMix64.output(SplitMix64.output(runSeed, step), microStep);
 * long siteSeed = SplitMix64.output(stepSeed, site);
 * }</pre>
 */
public final class SplitMix64 {
    /** The Weyl-sequence increment: 2^64 / the golden ratio, odd. */
    private static final long GAMMA = 0x9E3779B97F4A7C15L;

    private SplitMix64() {
    }

    /** mix64(seed + (index + 1) * gamma): what {@code new SplittableRandom(seed)} returns on its (index+1)-th nextLong(). */
    public static long output(long seed, long index) {
        long z = seed + (index + 1) * GAMMA;
        z = (z ^ (z >>> 30)) * 0xBF58476D1CE4E5B9L;
        z = (z ^ (z >>> 27)) * 0x94D049BB133111EBL;
        return z ^ (z >>> 31);
    }
}
