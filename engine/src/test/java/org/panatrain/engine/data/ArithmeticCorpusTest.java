// Checks the built-in corpus against arithmetic done in the test: the split is a partition with
// no test problem in training, every answer reads back as a + b, and the training stream is made
// of whole training lines only.
package org.panatrain.engine.data;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.HashSet;
import java.util.Set;
import org.junit.jupiter.api.Test;
import org.panatrain.engine.data.ArithmeticCorpus.Problem;

class ArithmeticCorpusTest {
    private final ArithmeticCorpus corpus = ArithmeticCorpus.standard();

    @Test
    void splitPartitionsEveryProblemAndHoldsOutTheTestSet() {
        Set<Problem> train = new HashSet<>(corpus.train());
        Set<Problem> test = new HashSet<>(corpus.test());
        assertThat(train).hasSize(9000);
        assertThat(test).hasSize(1000);
        assertThat(train).doesNotContainAnyElementsOf(test);
        for (int a = 0; a < 100; a++) {
            for (int b = 0; b < 100; b++) {
                Problem p = new Problem(a, b);
                assertThat(train.contains(p) || test.contains(p)).as("%s", p).isTrue();
            }
        }
        assertThat(ArithmeticCorpus.standard().test()).isEqualTo(corpus.test()); // seeded: the same every time
    }

    @Test
    void linesHaveTheDocumentedFormat() {
        Problem p = new Problem(7, 45);
        assertThat(corpus.line(p)).isEqualTo("07+45=250\n");
        assertThat(corpus.prompt(p)).isEqualTo("07+45=");
        assertThat(corpus.line(new Problem(99, 99))).isEqualTo("99+99=891\n");
        assertThat(corpus.lineLength()).isEqualTo(10);
        for (Problem q : corpus.test()) {
            assertThat(corpus.line(q)).hasSize(corpus.lineLength());
            assertThat(ArithmeticCorpus.readReversed(corpus.answer(q))).isEqualTo(q.a() + q.b());
        }
    }

    @Test
    void trainingStreamIsWholeTrainingLinesInShuffledEpochs() {
        int[] tokens = corpus.trainTokens(25_000, 3);
        assertThat(tokens.length).isGreaterThanOrEqualTo(25_000).isEqualTo(2500 * 10);
        Set<String> trainLines = new HashSet<>();
        corpus.train().forEach(p -> trainLines.add(corpus.line(p)));
        Set<String> firstEpoch = new HashSet<>();
        for (int i = 0; i < tokens.length; i += 10) {
            StringBuilder line = new StringBuilder();
            for (int j = 0; j < 10; j++) {
                line.append((char) tokens[i + j]);
            }
            assertThat(trainLines).contains(line.toString());
            firstEpoch.add(line.toString());
        }
        assertThat(firstEpoch).hasSize(2500); // within one epoch no problem repeats
        assertThat(corpus.trainTokens(25_000, 3)).isEqualTo(tokens);
        assertThat(corpus.trainTokens(25_000, 4)).isNotEqualTo(tokens);
    }

    @Test
    void testTokensAreTheTestLinesInOrder() {
        int[] tokens = corpus.testTokens();
        StringBuilder all = new StringBuilder();
        for (int t : tokens) {
            all.append((char) t);
        }
        StringBuilder expected = new StringBuilder();
        corpus.test().forEach(p -> expected.append(corpus.line(p)));
        assertThat(all.toString()).isEqualTo(expected.toString());
    }
}
