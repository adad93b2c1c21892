// `--data synthetic`: uniformly random tokens computed from (seed, position), for measuring speed
// without any file. Nothing to learn in it; the loss stays near ln(V).
package org.panatrain.engine.data;

/**
 * An endless-looking stream of pseudo-random tokens in [0, V); token i depends only on (seed, i).
 *
 * <pre>{@code
 * TokenSource tokens = new SyntheticTokens(256, 1337, 1L << 40);
 * }</pre>
 */
public record SyntheticTokens(int vocabSize, long seed, long length) implements TokenSource {

    public SyntheticTokens {
        if (vocabSize < 1 || length < 2) {
            throw new IllegalArgumentException("need vocabSize >= 1 and length >= 2");
        }
    }

    @Override
    public void read(long start, int[] dst) {
        for (int i = 0; i < dst.length; i++) {
            dst[i] = (int) Long.remainderUnsigned(mix(seed ^ (start + i) * 0x9E3779B97F4A7C15L), vocabSize);
        }
    }

    @Override
    public String name() {
        return "synthetic";
    }

    /** SplitMix64's finalizer: a bijective mix whose outputs look independent for consecutive inputs. */
    private static long mix(long z) {
        z = (z ^ (z >>> 30)) * 0xBF58476D1CE4E5B9L;
        z = (z ^ (z >>> 27)) * 0x94D049BB133111EBL;
        return z ^ (z >>> 31);
    }
}
