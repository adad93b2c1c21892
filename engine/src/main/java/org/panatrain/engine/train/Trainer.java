// The training loop: per optimizer step, zero the gradients, run gradAccum micro-batches of
// B x T (each weighted 1/gradAccum, so micro-batch x accum = one global batch), clip by global
// norm, take an AdamW step at the scheduled learning rate; every evalEvery steps (and after the
// last) a validation loss. Reports every step to a listener (progress lines, metrics files).
// Leaves out checkpoints, mixed precision and the loss scaler (later issues).
package org.panatrain.engine.train;

import org.panatrain.engine.data.BatchSource;
import org.panatrain.engine.data.TokenSource;
import org.panatrain.engine.model.Gpt2;
import org.panatrain.engine.model.Gpt2Step;
import org.panatrain.engine.optim.AdamW;
import org.panatrain.engine.optim.AdamWConfig;
import org.panatrain.engine.optim.LrSchedule;

/**
 * Trains a model in place.
 *
 * <pre>{@code
 * TrainResult r = Trainer.train(model, config, trainTokens, valTokens, report ->
 *         System.err.println(report.step() + " " + report.loss()));
 * }</pre>
 */
public final class Trainer {

    /** Receives each finished step, in order. */
    @FunctionalInterface
    public interface Listener {
        void onStep(StepReport report);
    }

    private Trainer() {
    }

    /**
     * Runs {@code config.steps()} optimizer steps on {@code train}; {@code validation} may be null.
     * Throws IllegalStateException when the loss stops being finite.
     */
    public static TrainResult train(Gpt2 model, TrainConfig config, TokenSource train, TokenSource validation,
                                    Listener listener) {
        return train(model, config, new BatchReader(train, config.microBatch(), config.seq()), validation, listener);
    }

    /** {@link #train(Gpt2, TrainConfig, TokenSource, TokenSource, Listener)} on batches from {@code reader}. */
    public static TrainResult train(Gpt2 model, TrainConfig config, BatchSource reader, TokenSource validation,
                                    Listener listener) {
        int B = config.microBatch();
        int T = config.seq();
        LrSchedule schedule = new LrSchedule(config.lr(), config.minLr(), config.warmup(), config.steps());
        int[] inputs = new int[B * T];  // (B, T)
        int[] targets = new int[B * T]; // (B, T)
        float microWeight = 1f / config.gradAccum();
        double trainSeconds = 0;
        double recentStepSeconds = Double.NaN; // moving average: the ETA follows the speed after JIT warmup
        float loss = Float.NaN;
        double valLoss = Double.NaN;
        long peakBytes;
        try (Gpt2Step step = model.newStep(B, T);
             AdamW optimizer = new AdamW(model, AdamWConfig.defaults().withWeightDecay(config.weightDecay()))) {
            peakBytes = model.parameterCount() * Float.BYTES * 4 + step.arenaBytes(); // weights, grads, m, v + activations
            for (int s = 0; s < config.steps(); s++) {
                long start = System.nanoTime();
                optimizer.zeroGrad();
                double lossSum = 0;
                for (int micro = 0; micro < config.gradAccum(); micro++) {
                    reader.next(inputs, targets);
                    lossSum += step.forwardBackward(inputs, targets, microWeight);
                }
                loss = (float) (lossSum / config.gradAccum());
                if (!Float.isFinite(loss)) {
                    throw new IllegalStateException("training diverged at step " + (s + 1) + " (loss " + loss
                            + "); try a lower --lr");
                }
                float gradNorm = config.clip() > 0 ? optimizer.clipGradNorm(config.clip()) : Float.NaN;
                float lr = schedule.at(s);
                optimizer.step(lr);
                double seconds = (System.nanoTime() - start) * 1e-9;
                trainSeconds += seconds;
                recentStepSeconds = Double.isNaN(recentStepSeconds) ? seconds : 0.9 * recentStepSeconds + 0.1 * seconds;
                int done = s + 1;
                boolean validate = validation != null
                        && ((config.evalEvery() > 0 && done % config.evalEvery() == 0) || done == config.steps());
                double stepValLoss = Double.NaN;
                if (validate) {
                    stepValLoss = LossEvaluator.meanLoss(step, B, T, validation, config.evalBatches()).loss();
                    valLoss = stepValLoss;
                }
                listener.onStep(new StepReport(done, config.steps(), loss, lr, gradNorm,
                        config.tokensPerStep() / seconds, trainSeconds,
                        recentStepSeconds * (config.steps() - done), stepValLoss));
            }
        }
        return new TrainResult(config.steps(), loss, valLoss, config.tokensPerStep() * config.steps() / trainSeconds,
                trainSeconds, peakBytes);
    }
}
