// MinHash estimates against the exact Jaccard similarity of word 5-gram sets computed here with
// plain sets, and the LSH index's decisions on near and far pairs.
package org.panatrain.engine.prepare;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Random;
import java.util.Set;
import org.assertj.core.data.Offset;
import org.junit.jupiter.api.Test;

class MinHashTest {
    private static final String[] WORDS = ("alpha beta gamma delta epsilon zeta eta theta iota kappa lambda mu nu xi "
            + "omicron pi rho sigma tau upsilon phi chi psi omega red green blue black white gold silver").split(" ");

    private static List<String> randomWords(Random r, int n) {
        List<String> w = new ArrayList<>();
        for (int i = 0; i < n; i++) {
            w.add(WORDS[r.nextInt(WORDS.length)]);
        }
        return w;
    }

    private static double exactJaccard(List<String> a, List<String> b) {
        Set<String> sa = shingles(a);
        Set<String> sb = shingles(b);
        Set<String> union = new HashSet<>(sa);
        union.addAll(sb);
        sa.retainAll(sb);
        return (double) sa.size() / union.size();
    }

    private static Set<String> shingles(List<String> w) {
        Set<String> s = new HashSet<>();
        for (int i = 0; i + 5 <= w.size(); i++) {
            s.add(String.join(" ", w.subList(i, i + 5)));
        }
        return s;
    }

    @Test
    void estimatesTheJaccardSimilarity() {
        Random r = new Random(11);
        for (int edits : new int[] {0, 2, 5, 15, 40}) {
            List<String> a = randomWords(r, 300);
            List<String> b = new ArrayList<>(a);
            for (int e = 0; e < edits; e++) {
                b.set(r.nextInt(b.size()), "edited" + e);
            }
            double exact = exactJaccard(a, b);
            double estimate = MinHash.similarity(MinHash.signature(String.join(" ", a)),
                    MinHash.signature(String.join("  \n", b)));
            // 128 permutations: standard deviation sqrt(J(1-J)/128) <= 0.045; 3.5 sigma.
            assertThat(estimate).as("%d edits, exact %.3f", edits, exact).isCloseTo(exact, Offset.offset(0.16));
        }
    }

    @Test
    void indexFindsNearDuplicatesAndKeepsDistinctDocuments() {
        Random r = new Random(5);
        NearDuplicateIndex index = new NearDuplicateIndex(0.8);
        List<String> original = randomWords(r, 400);
        List<String> nearCopy = new ArrayList<>(original);
        nearCopy.set(200, "changed");                         // exact Jaccard about 0.975
        List<String> other = randomWords(r, 400);
        assertThat(exactJaccard(original, nearCopy)).isGreaterThan(0.95);
        assertThat(exactJaccard(original, other)).isLessThan(0.05);
        assertThat(index.addUnlessNearDuplicate(MinHash.signature(String.join(" ", original)))).isFalse();
        assertThat(index.addUnlessNearDuplicate(MinHash.signature(String.join(" ", nearCopy).toUpperCase()))).isTrue();
        assertThat(index.addUnlessNearDuplicate(MinHash.signature(String.join(" ", other)))).isFalse();
    }
}
