// The training loop: per optimizer step, zero the gradients, run gradAccum micro-batches of
// B x T (each weighted 1/gradAccum, so micro-batch x accum = one global batch), clip by global
// norm, take an optimizer step (AdamW unless the caller gives another) at the scheduled learning
// rate; every evalEvery steps (and after the last) a validation loss, with early stopping after
// `patience` evaluations without a new best. Reports every step, with its model and recompute
// FLOPs from the graph, its wait for data and the bytes the run holds, to a listener (progress
// lines, metrics files), then saves a checkpoint when the schedule says so; a resumed run
// restores weights, optimizer state, step, data position, precision state and the
// early-stopping record, and continues as if never stopped. The test split is evaluated once at
// the end. The precision (TrainingPrecision) seeds the backward with the loss scale and, under
// fp16, unscales the gradients before clipping and skips a step whose gradients are not finite.
// Faults (TrainingFaults): a non-finite loss ends the run with the step and the last good
// checkpoint; a sticky CUDA error ends it without a checkpoint; a stop request (SIGINT) ends it
// after the step, with a checkpoint, as an interrupted run. Batches a loader stages on the device
// (a CUDA backend) go straight into the step's token tensors there.
// Dropout (config.dropout() > 0): step s seeds its micro-steps' masks with SplitMix64(key, s),
// key = SplitMix64(seed, DROPOUT_STREAM) (Gpt2Step.dropoutSeed): a pure function of the step, so a
// resumed run draws the masks of an uninterrupted one. Checkpoints record the key
// as the RNG state and a resume continues with the recorded key; evaluation runs without dropout.
package org.panatrain.engine.train;

import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Optional;
import java.util.SequencedMap;
import org.panatrain.bindings.CudaException;
import org.panatrain.engine.checkpoint.CheckpointSchedule;
import org.panatrain.engine.checkpoint.CheckpointState;
import org.panatrain.engine.data.BatchSource;
import org.panatrain.engine.data.TokenSource;
import org.panatrain.engine.graph.RecomputePolicy;
import org.panatrain.engine.graph.Scheduler;
import org.panatrain.engine.model.Gpt2;
import org.panatrain.engine.model.Gpt2Step;
import org.panatrain.engine.optim.AdamW;
import org.panatrain.engine.optim.AdamWConfig;
import org.panatrain.engine.optim.LrSchedule;
import org.panatrain.engine.optim.Optimizer;
import org.panatrain.engine.precision.Precision;
import org.panatrain.engine.precision.PrecisionPolicy;
import org.panatrain.engine.precision.PrecisionState;
import org.panatrain.engine.precision.TrainingPrecision;
import org.panatrain.kernels.SplitMix64;

/**
 * Trains a model in place.
 *
 * <pre>{@code
 * TrainResult r = Trainer.train(model, config, trainTokens, valTokens, report ->
 *         System.err.println(report.step() + " " + report.loss()));
 * // with early stopping, a test split and checkpoints:
 * var checkpoints = new CheckpointSchedule(new CheckpointStore(dir, log), 100, 3, true,
 *         Trainer.checkpointSettings(model, config, trainTokens, "adamw"), config.seed(), log);
 * r = Trainer.train(model, config, trainTokens, valTokens, new RunControl(3, testTokens, checkpoints, null, null), listener);
 * }</pre>
 */
public final class Trainer {

    /** Receives each finished step, in order. */
    @FunctionalInterface
    public interface Listener {
        void onStep(StepReport report);
    }

    /** Which SplitMix64 output of the run seed keys the dropout masks ("dropout" in ASCII). */
    private static final long DROPOUT_STREAM = 0x64726f706f7574L;

    private Trainer() {
    }

    /** The dropout key of a run seeded with {@code seed}: the RNG state a checkpoint records. */
    public static long dropoutKey(long seed) {
        return SplitMix64.output(seed, DROPOUT_STREAM);
    }

    /** The dropout seed of step {@code step} (0-based) under {@code key}; its micro-steps derive theirs from it. */
    public static long dropoutSeed(long key, long step) {
        return SplitMix64.output(key, step);
    }

    /**
     * Runs {@code config.steps()} AdamW steps on {@code train}; {@code validation} may be null.
     * Throws IllegalStateException when the loss stops being finite.
     */
    public static TrainResult train(Gpt2 model, TrainConfig config, TokenSource train, TokenSource validation,
                                    Listener listener) {
        return train(model, config, train, validation, RunControl.NONE, listener);
    }

    /**
     * {@link #train(Gpt2, TrainConfig, TokenSource, TokenSource, Listener)} with early stopping,
     * a test split, checkpoints and recompute as {@code control} says. With a checkpoint to resume
     * from, the steps up to its step are skipped (the listener hears only the steps run here).
     */
    public static TrainResult train(Gpt2 model, TrainConfig config, TokenSource train, TokenSource validation,
                                    RunControl control, Listener listener) {
        try (AdamW optimizer = new AdamW(model, AdamWConfig.defaults().withWeightDecay(config.weightDecay()))) {
            return train(optimizer, config, train, validation, control, listener);
        }
    }

    /**
     * Runs {@code config.steps()} steps of {@code optimizer} (the caller's: it stays open) on its
     * model, as {@code control} says; {@code config.weightDecay()} is the optimizer's business, given
     * when it was made.
     */
    public static TrainResult train(Optimizer optimizer, TrainConfig config, TokenSource train, TokenSource validation,
                                    RunControl control, Listener listener) {
        return train(optimizer, config, new BatchReader(train, config.microBatch(), config.seq()), validation, control,
                listener);
    }

    /**
     * {@link #train(Optimizer, TrainConfig, TokenSource, TokenSource, RunControl, Listener)} on
     * batches from {@code batches} (the caller's: it stays open), whose position checkpoints record.
     */
    public static TrainResult train(Optimizer optimizer, TrainConfig config, BatchSource batches, TokenSource validation,
                                    RunControl control, Listener listener) {
        Gpt2 model = optimizer.model();
        if (control.patience() > 0 && validation == null) {
            throw new IllegalArgumentException("early stopping (--patience) needs validation data");
        }
        CheckpointSchedule checkpoints = control.checkpoints();
        List<RecomputePolicy> recompute = control.recompute() != null ? control.recompute()
                : Scheduler.uniform(RecomputePolicy.NONE, model.config().nLayer());
        PrecisionPolicy policy = control.precision() != null ? control.precision() : PrecisionPolicy.of(Precision.FP32);
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
        double bestValLoss = Double.NaN;
        long evalsSinceBest = 0;
        double testLoss = Double.NaN;
        int firstStep = 0; // the resumed checkpoint's step
        int done = 0;
        boolean stoppedEarly;
        boolean interrupted = false;
        long lastCheckpoint = -1; // the step of the last checkpoint written or resumed from in this run
        long peakBytes;
        PrecisionState precisionState;
        long dropoutKey = dropoutKey(config.seed());
        try (Gpt2Step step = model.newStep(B, T, recompute, config.dropout());
             TrainingPrecision precision = new TrainingPrecision(policy, model)) {
            long flopsPerStep = step.schedule().modelFlops() * config.gradAccum();
            long recomputeFlopsPerStep = step.schedule().recomputeFlops() * config.gradAccum();
            // weights and gradients, the optimizer's state, the activations
            peakBytes = model.allocatedBytes() + optimizer.stateBytes() + step.arenaBytes();
            Optional<CheckpointState> resumed = checkpoints == null ? Optional.empty()
                    : checkpoints.resume(model, optimizer, policy.precision());
            if (resumed.isPresent()) {
                CheckpointState state = resumed.get();
                precision.restore(state.precision());
                firstStep = Math.toIntExact(state.step());
                checkpoints.seek(batches, state);
                bestValLoss = state.bestValLoss();
                evalsSinceBest = state.evalsSinceBest();
                lastCheckpoint = state.step();
                if (config.dropout() > 0) {
                    dropoutKey = state.rngState();
                }
            }
            done = firstStep;
            stoppedEarly = patienceSpent(control, evalsSinceBest); // a run resumed where it had stopped early
            for (int s = firstStep; s < config.steps() && !stoppedEarly && !interrupted; s++) {
                long start = System.nanoTime();
                long waitedBefore = batches.waitNanos();
                optimizer.zeroGrad();
                step.dropoutSeed(dropoutSeed(dropoutKey, s));
                double lossSum = 0;
                for (int micro = 0; micro < config.gradAccum(); micro++) {
                    float weight = microWeight * precision.lossScale();
                    if (batches.stagesOnDevice()) { // already copied to the device on the loader's stream
                        batches.next(step.inputTokens(), step.targetTokens());
                        lossSum += step.forwardBackward(weight);
                    } else {
                        batches.next(inputs, targets);
                        lossSum += step.forwardBackward(inputs, targets, weight);
                    }
                }
                loss = (float) (lossSum / config.gradAccum());
                double waitSeconds = (batches.waitNanos() - waitedBefore) * 1e-9;
                if (!Float.isFinite(loss)) {
                    throw TrainingFaults.diverged(s + 1, loss, checkpointDirectory(checkpoints, lastCheckpoint));
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
                done = s + 1;
                boolean validate = validation != null
                        && ((config.evalEvery() > 0 && done % config.evalEvery() == 0) || done == config.steps());
                double stepValLoss = Double.NaN;
                if (validate) {
                    stepValLoss = LossEvaluator.meanLoss(step, B, T, validation, config.evalBatches()).loss();
                    valLoss = stepValLoss;
                    if (Double.isNaN(bestValLoss) || stepValLoss < bestValLoss) {
                        bestValLoss = stepValLoss;
                        evalsSinceBest = 0;
                    } else {
                        evalsSinceBest++;
                    }
                    stoppedEarly = patienceSpent(control, evalsSinceBest);
                }
                listener.onStep(new StepReport(done, config.steps(), loss, lr, gradNorm,
                        config.tokensPerStep() / seconds, trainSeconds,
                        recentStepSeconds * (config.steps() - done), stepValLoss, flopsPerStep,
                        flopsPerStep / seconds / 1e12, recomputeFlopsPerStep, waitSeconds, peakBytes));
                interrupted = done < config.steps() && control.stopRequested().getAsBoolean();
                if (checkpoints != null) {
                    TrainingFaults.requireHealthyDevice(done, checkpointDirectory(checkpoints, lastCheckpoint));
                    var position = new CheckpointSchedule.Position(batches.position(), dropoutKey, bestValLoss,
                            evalsSinceBest, precision.state());
                    if (stoppedEarly || interrupted) {
                        checkpoints.save(done, model, optimizer, position);
                        lastCheckpoint = done;
                    } else if (checkpoints.afterStep(done, config.steps(), model, optimizer, position)) {
                        lastCheckpoint = done;
                    }
                }
            }
            if (control.test() != null && !interrupted) {
                testLoss = LossEvaluator.meanLoss(step, B, T, control.test(), Integer.MAX_VALUE).loss();
            }
            precisionState = precision.state();
        } catch (CudaException e) { // the resources are closed by now: with a sticky error, they fail fast
            CudaException sticky = TrainingFaults.stickyCause(e);
            if (sticky == null) {
                throw e;
            }
            throw TrainingFaults.deviceLost(done + 1, sticky, checkpointDirectory(checkpoints, lastCheckpoint));
        }
        double tokensPerSecond = done > firstStep ? config.tokensPerStep() * (done - firstStep) / trainSeconds : Double.NaN;
        return new TrainResult(done, loss, valLoss, testLoss, tokensPerSecond, trainSeconds, peakBytes,
                stoppedEarly && done < config.steps(), precisionState, interrupted);
    }

    /**
     * The settings a checkpoint records and a resume must match: everything that changes the
     * numbers of a step (model shape, batch, schedule, optimizer, seed, dropout, training data). Evaluation
     * and logging settings may change between the runs.
     */
    public static SequencedMap<String, String> checkpointSettings(Gpt2 model, TrainConfig c, TokenSource train,
                                                                  String optimizer) {
        SequencedMap<String, String> s = new LinkedHashMap<>(model.config().toMetadata());
        s.put("batch", Integer.toString(c.microBatch()));
        s.put("seq", Integer.toString(c.seq()));
        s.put("grad_accum", Integer.toString(c.gradAccum()));
        s.put("steps", Integer.toString(c.steps()));
        s.put("lr", Float.toString(c.lr()));
        s.put("min_lr", Float.toString(c.minLr()));
        s.put("warmup", Integer.toString(c.warmup()));
        s.put("weight_decay", Float.toString(c.weightDecay()));
        s.put("clip", Float.toString(c.clip()));
        s.put("seed", Long.toString(c.seed()));
        s.put("dropout", Float.toString(c.dropout()));
        s.put("optimizer", optimizer);
        s.put("data", train.name());
        s.put("data_tokens", Long.toString(train.length()));
        return s;
    }

    private static Path checkpointDirectory(CheckpointSchedule checkpoints, long step) {
        return step < 0 ? null : checkpoints.store().directoryOf(step);
    }

    private static boolean patienceSpent(RunControl control, long evalsSinceBest) {
        return control.patience() > 0 && evalsSinceBest >= control.patience();
    }
}
