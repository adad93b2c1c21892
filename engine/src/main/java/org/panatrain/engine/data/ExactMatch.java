// Test accuracy on the built-in corpus: the model completes each prompt "aa+bb=" greedily and
// the completion must equal the expected answer exactly. The decoding itself is passed in, so
// this file knows the task and nothing about models or backends.
package org.panatrain.engine.data;

import java.util.ArrayList;
import java.util.List;
import org.panatrain.engine.data.ArithmeticCorpus.Problem;

/**
 * Exact-match accuracy of a completer on a list of problems.
 *
 * <pre>{@code
 * ExactMatch.Result r = ExactMatch.evaluate(corpus, corpus.test(), (prompts, n) -> greedy(prompts, n));
 * System.out.println(r.correct() + "/" + r.total());
 * }</pre>
 */
public final class ExactMatch {

    /** Continues each prompt by exactly {@code tokens} byte tokens, greedily; one answer per prompt, in order. */
    @FunctionalInterface
    public interface Completer {
        List<String> complete(List<String> prompts, int tokens);
    }

    /** One problem as the model answered it. */
    public record Completion(Problem problem, String prompt, String expected, String got) {
        public boolean correct() {
            return expected.equals(got);
        }
    }

    /** The number of exact matches and every completion, in problem order. */
    public record Result(int correct, int total, List<Completion> completions) {
        public double accuracy() {
            return total == 0 ? 0 : (double) correct / total;
        }
    }

    private ExactMatch() {
    }

    public static Result evaluate(ArithmeticCorpus corpus, List<Problem> problems, Completer completer) {
        List<String> prompts = problems.stream().map(corpus::prompt).toList();
        List<String> answers = completer.complete(prompts, corpus.answerLength());
        if (answers.size() != problems.size()) {
            throw new IllegalStateException("the completer gave " + answers.size() + " answers to " + problems.size() + " prompts");
        }
        List<Completion> completions = new ArrayList<>(problems.size());
        int correct = 0;
        for (int i = 0; i < problems.size(); i++) {
            Problem p = problems.get(i);
            Completion c = new Completion(p, prompts.get(i), corpus.answer(p), answers.get(i));
            if (c.correct()) {
                correct++;
            }
            completions.add(c);
        }
        return new Result(correct, problems.size(), List.copyOf(completions));
    }
}
