// Near-duplicate detection by MinHash LSH: the 128-entry signature is cut into 16 bands of 8
// rows; documents sharing a band's 8 values are candidates, and a candidate whose estimated
// Jaccard similarity is at least the threshold (0.8 by default) makes the new document a near
// duplicate. With b = 16, r = 8 a pair of similarity 0.8 becomes a candidate with probability
// 1 - (1 - 0.8^8)^16 = 0.95, one of 0.5 with 0.06. Memory: one signature (512 bytes) and 16
// band keys per kept document. Leaves out persistence across runs.
package org.panatrain.engine.prepare;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * The documents kept so far, searchable for near duplicates.
 *
 * <pre>{@code
 * NearDuplicateIndex index = new NearDuplicateIndex(0.8);
 * boolean dup = index.addUnlessNearDuplicate(MinHash.signature(text));
 * }</pre>
 */
public final class NearDuplicateIndex {
    public static final int BANDS = 16;
    public static final int ROWS = MinHash.PERMUTATIONS / BANDS;

    private final double threshold;
    private final List<int[]> signatures = new ArrayList<>();
    private final List<Map<Long, List<Integer>>> bands = new ArrayList<>(BANDS);

    /** An empty index; a document is a near duplicate of a kept one at estimated Jaccard >= {@code threshold}. */
    public NearDuplicateIndex(double threshold) {
        if (!(threshold > 0 && threshold <= 1)) {
            throw new IllegalArgumentException("near-duplicate threshold must be in (0, 1], got " + threshold);
        }
        this.threshold = threshold;
        for (int b = 0; b < BANDS; b++) {
            bands.add(new HashMap<>());
        }
    }

    /** The threshold. */
    public double threshold() {
        return threshold;
    }

    /**
     * True when {@code signature} is a near duplicate of a document added before (it is then
     * not added); otherwise adds it and returns false.
     */
    public boolean addUnlessNearDuplicate(int[] signature) {
        long[] keys = new long[BANDS];
        for (int b = 0; b < BANDS; b++) {
            keys[b] = bandKey(signature, b);
            for (int candidate : bands.get(b).getOrDefault(keys[b], List.of())) {
                if (MinHash.similarity(signature, signatures.get(candidate)) >= threshold) {
                    return true;
                }
            }
        }
        int id = signatures.size();
        signatures.add(signature);
        for (int b = 0; b < BANDS; b++) {
            bands.get(b).computeIfAbsent(keys[b], k -> new ArrayList<>(1)).add(id);
        }
        return false;
    }

    private static long bandKey(int[] signature, int band) {
        long h = band;
        for (int r = 0; r < ROWS; r++) {
            h = MinHash.mix(h * 31 + signature[band * ROWS + r]);
        }
        return h;
    }
}
