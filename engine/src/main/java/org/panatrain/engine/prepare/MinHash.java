// MinHash signatures of documents over word 5-gram shingles, and the Jaccard similarity they
// estimate. Words are the lower-cased runs of non-whitespace; a shingle is 5 consecutive words
// (a document of fewer words is one shingle of all of them), hashed to 64 bits. Permutation i is
// the 64-bit mix of (shingle hash XOR seed_i); its minimum over the shingles, top 32 bits, is
// signature entry i. Leaves out the index that finds candidate pairs (NearDuplicateIndex).
package org.panatrain.engine.prepare;

import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import java.util.Locale;
import java.util.SplittableRandom;

/**
 * MinHash with {@link #PERMUTATIONS} permutations.
 *
 * <pre>{@code
 * int[] a = MinHash.signature("the quick brown fox jumps over the lazy dog");
 * int[] b = MinHash.signature("the quick brown fox jumps over the lazy cat");
 * double j = MinHash.similarity(a, b);   // about 4/6, the Jaccard similarity of their shingle sets
 * }</pre>
 */
public final class MinHash {
    public static final int PERMUTATIONS = 128;
    public static final int SHINGLE_WORDS = 5;
    private static final long[] SEEDS = new SplittableRandom(0x5EED_0F_5417L).longs(PERMUTATIONS).toArray();

    private MinHash() {
    }

    /** The signature of {@code text}: {@link #PERMUTATIONS} values. */
    public static int[] signature(String text) {
        String[] words = text.toLowerCase(Locale.ROOT).strip().split("\\s+");
        long[] min = new long[PERMUTATIONS];
        Arrays.fill(min, Long.MAX_VALUE);
        int shingles = Math.max(1, words.length - SHINGLE_WORDS + 1);
        for (int s = 0; s < shingles; s++) {
            long h = shingleHash(words, s, Math.min(words.length, s + SHINGLE_WORDS));
            for (int i = 0; i < PERMUTATIONS; i++) {
                long v = mix(h ^ SEEDS[i]) >>> 1; // non-negative, so signed comparison orders them
                if (v < min[i]) {
                    min[i] = v;
                }
            }
        }
        int[] signature = new int[PERMUTATIONS];
        for (int i = 0; i < PERMUTATIONS; i++) {
            signature[i] = (int) (min[i] >>> 31);
        }
        return signature;
    }

    /** The fraction of equal entries: an unbiased estimate of the shingle sets' Jaccard similarity. */
    public static double similarity(int[] a, int[] b) {
        int equal = 0;
        for (int i = 0; i < a.length; i++) {
            equal += a[i] == b[i] ? 1 : 0;
        }
        return (double) equal / a.length;
    }

    /** 64-bit FNV-1a of the UTF-8 words [from, to), separated by a space, then mixed. */
    private static long shingleHash(String[] words, int from, int to) {
        long h = 0xcbf29ce484222325L;
        for (int w = from; w < to; w++) {
            for (byte b : (w > from ? " " + words[w] : words[w]).getBytes(StandardCharsets.UTF_8)) {
                h = (h ^ (b & 0xFF)) * 0x100000001b3L;
            }
        }
        return mix(h);
    }

    /** SplitMix64's finalizer: a bijection of 64-bit values that spreads every input bit. */
    static long mix(long z) {
        z = (z ^ (z >>> 30)) * 0xbf58476d1ce4e5b9L;
        z = (z ^ (z >>> 27)) * 0x94d049bb133111ebL;
        return z ^ (z >>> 31);
    }
}
