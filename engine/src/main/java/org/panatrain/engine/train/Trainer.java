// The training loop: per optimizer step, zero the gradients, run gradAccum micro-batches of
// B x T (each weighted 1/gradAccum, so micro-batch x accum = one global batch), clip by global
// norm, take an AdamW step at the scheduled learning rate; every evalEvery steps (and after the
// last) a validation loss. Reports every step to a listener (progress lines, metrics files).
// The precision (TrainingPrecision) seeds the backward with the loss scale and, under fp16,
// unscales the gradients before clipping and skips a step whose gradients are not finite.
// Leaves out checkpoints (a later issue).
package org.panatrain.engine.train;

import org.panatrain.engine.data.TokenSource;
import org.panatrain.engine.model.Gpt2;
import org.panatrain.engine.model.Gpt2Step;
import org.panatrain.engine.optim.AdamW;
import org.panatrain.engine.optim.AdamWConfig;
import org.panatrain.engine.optim.LrSchedule;
import org.panatrain.engine.precision.Precision;
import org.panatrain.engine.precision.PrecisionPolicy;
import org.panatrain.engine.precision.PrecisionState;
import org.panatrain.engine.precision.TrainingPrecision;

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

    /** {@link #train(Gpt2, TrainConfig, PrecisionPolicy, TokenSource, TokenSource, Listener)} in FP32. */
    public static TrainResult train(Gpt2 model, TrainConfig config, TokenSource train, TokenSource validation,
                                    Listener listener) {
        return train(model, config, PrecisionPolicy.of(Precision.FP32), train, validation, listener);
    }

    /**
     * Runs {@code config.steps()} optimizer steps on {@code train} in {@code policy}, with the
     * model on {@link TrainingPrecision#backend} of that policy; {@code validation} may be null.
     * Throws IllegalStateException when the loss stops being finite (loss scaling cannot help a
     * forward pass that overflows: it scales the backward only).
     */
    public static TrainResult train(Gpt2 model, TrainConfig config, PrecisionPolicy policy, TokenSource train,
                                    TokenSource validation, Listener listener) {
        int B = config.microBatch();
        int T = config.seq();
        BatchReader reader = new BatchReader(train, B, T);
        LrSchedule schedule = new LrSchedule(config.lr(), config.minLr(), config.warmup(), config.steps());
        int[] inputs = new int[B * T];  // (B, T)
        int[] targets = new int[B * T]; // (B, T)
        float microWeight = 1f / config.gradAccum();
        double trainSeconds = 0;
        double recentStepSeconds = Double.NaN; // moving average: the ETA follows the speed after JIT warmup
        float loss = Float.NaN;
        double valLoss = Double.NaN;
        long peakBytes;
        PrecisionState precisionState;
        try (Gpt2Step step = model.newStep(B, T);
             AdamW optimizer = new AdamW(model, AdamWConfig.defaults().withWeightDecay(config.weightDecay()));
             TrainingPrecision precision = new TrainingPrecision(policy, model)) {
            peakBytes = model.parameterCount() * Float.BYTES * 4 + step.arenaBytes(); // weights, grads, m, v + activations
            for (int s = 0; s < config.steps(); s++) {
                long start = System.nanoTime();
                optimizer.zeroGrad();
                double lossSum = 0;
                for (int micro = 0; micro < config.gradAccum(); micro++) {
                    reader.next(inputs, targets);
                    lossSum += step.forwardBackward(inputs, targets, microWeight * precision.lossScale());
                }
                loss = (float) (lossSum / config.gradAccum());
                if (!Float.isFinite(loss)) {
                    throw new IllegalStateException("training diverged at step " + (s + 1) + " (loss " + loss
                            + "); try a lower --lr");
                }
                // A skipped step (non-finite gradients under loss scaling) reports a NaN norm and
                // still advances the schedule, as a PyTorch loop calling scheduler.step() does.
                boolean apply = precision.unscaleGradients();
                float gradNorm = apply && config.clip() > 0 ? optimizer.clipGradNorm(config.clip()) : Float.NaN;
                float lr = schedule.at(s);
                if (apply) {
                    optimizer.step(lr);
                }
                precision.endStep(apply);
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
            precisionState = precision.state();
        }
        return new TrainResult(config.steps(), loss, valLoss, config.tokensPerStep() * config.steps() / trainSeconds,
                trainSeconds, peakBytes, precisionState);
    }
}
