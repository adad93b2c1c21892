// Mean next-token loss over the first batches of a token source, forward only: the validation
// loss during training and the `eval` command. Always starts at position 0 so that successive
// validation losses of one run are measured on the same tokens.
package org.panatrain.engine.train;

import org.panatrain.engine.data.TokenSource;
import org.panatrain.engine.model.Gpt2Step;

/**
 * Evaluates a model's step on up to {@code maxBatches} consecutive B x T batches.
 *
 * <pre>{@code
 * LossEvaluator.Result r = LossEvaluator.meanLoss(step, B, T, source, 10);
 * System.out.println(r.loss() + " over " + r.tokens() + " tokens");
 * }</pre>
 */
public final class LossEvaluator {

    /** Mean loss per token and the number of tokens it is taken over. */
    public record Result(double loss, long tokens) {
    }

    private LossEvaluator() {
    }

    /** Every batch has B*T tokens, so the mean of the batch means is the mean per token. */
    public static Result meanLoss(Gpt2Step step, int B, int T, TokenSource source, int maxBatches) {
        BatchReader reader = new BatchReader(source, B, T);
        long batches = Math.min(maxBatches, reader.batchesPerPass());
        int[] inputs = new int[B * T];  // (B, T)
        int[] targets = new int[B * T]; // (B, T)
        double sum = 0;
        for (long i = 0; i < batches; i++) {
            reader.next(inputs, targets);
            sum += step.loss(inputs, targets);
        }
        return new Result(sum / batches, batches * B * T);
    }
}
