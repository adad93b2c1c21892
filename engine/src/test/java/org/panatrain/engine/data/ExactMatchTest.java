// Exact-match accuracy with completers whose answers the test computes itself.
package org.panatrain.engine.data;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.List;
import org.junit.jupiter.api.Test;
import org.panatrain.engine.data.ArithmeticCorpus.Problem;

class ExactMatchTest {
    private final ArithmeticCorpus corpus = ArithmeticCorpus.standard();

    /** The answer of prompt "aa+bb=" computed here: the sum, padded to 3 digits, reversed. */
    private static String solve(String prompt) {
        int a = Integer.parseInt(prompt.substring(0, 2));
        int b = Integer.parseInt(prompt.substring(3, 5));
        return new StringBuilder(String.format("%03d", a + b)).reverse().toString();
    }

    @Test
    void aPerfectCompleterScoresOneAndAWrongOneZero() {
        assertThat(ExactMatch.evaluate(corpus, corpus.test(), (prompts, n) -> prompts.stream().map(ExactMatchTest::solve).toList()).accuracy()).isEqualTo(1.0);
        assertThat(ExactMatch.evaluate(corpus, corpus.test(), (prompts, n) -> prompts.stream().map(p -> "000").toList()).correct())
                .isEqualTo((int) corpus.test().stream().filter(p -> p.a() + p.b() == 0).count());
    }

    @Test
    void countsOnlyExactAnswersAndAsksForTheAnswerLength() {
        List<Problem> problems = List.of(new Problem(7, 45), new Problem(50, 50), new Problem(1, 2));
        ExactMatch.Result r = ExactMatch.evaluate(corpus, problems, (prompts, n) -> {
            assertThat(n).isEqualTo(3);
            assertThat(prompts).containsExactly("07+45=", "50+50=", "01+02=");
            return List.of(solve("07+45="),
                    "100",  // the sum not reversed: wrong
                    "30");  // a prefix of the answer: wrong
        });
        assertThat(r.correct()).isEqualTo(1);
        assertThat(r.total()).isEqualTo(3);
        assertThat(r.completions().get(1).expected()).isEqualTo("001");
        assertThat(r.completions().get(1).correct()).isFalse();
        assertThat(r.completions().get(0).correct()).isTrue();
    }
}
