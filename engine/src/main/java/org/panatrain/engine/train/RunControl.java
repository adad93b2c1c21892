// What a training run does besides the hyperparameters' loop: early stopping on the validation
// loss, the test split evaluated once at the end, checkpoints (resume, periodic saves), which
// activations each layer recomputes in the backward (results are the same; memory is not), and
// the precision policy (FP32 when null), and a stop request polled after each step (the CLI sets
// it on SIGINT). Leaves out time limits and installing signal handlers (the caller's business).
package org.panatrain.engine.train;

import java.util.List;
import java.util.function.BooleanSupplier;
import org.panatrain.engine.checkpoint.CheckpointSchedule;
import org.panatrain.engine.data.TokenSource;
import org.panatrain.engine.graph.RecomputePolicy;
import org.panatrain.engine.precision.PrecisionPolicy;

/**
 * The optional parts of a {@link Trainer} run.
 *
 * <pre>{@code
 * RunControl control = new RunControl(3, testTokens, schedule, null, null);   // stop after 3 evaluations without a new best
 * Trainer.train(model, config, train, validation, control, listener);
 * }</pre>
 *
 * @param patience    stop when this many validation losses in a row are not below the best one; 0 = never
 * @param test        tokens evaluated once after training (every B x T batch that fits), or null
 * @param checkpoints resume and save policy, or null for none
 * @param recompute   each layer's recompute policy, or null to keep every activation
 * @param precision   the precision policy (the model's backend must be TrainingPrecision.backend of
 *                    it), or null for FP32
 * @param stopRequested polled after each finished step: true ends the run there, after a checkpoint
 *                    (when there are checkpoints), as an interrupted run
 */
public record RunControl(int patience, TokenSource test, CheckpointSchedule checkpoints,
                         List<RecomputePolicy> recompute, PrecisionPolicy precision, BooleanSupplier stopRequested) {
    /** No early stopping, no test split, no checkpoints, no recompute, FP32. */
    public static final RunControl NONE = new RunControl(0, null, null, null, null);

    public RunControl {
        if (patience < 0) {
            throw new IllegalArgumentException("--patience must not be negative, got " + patience);
        }
        recompute = recompute == null ? null : List.copyOf(recompute);
        stopRequested = stopRequested == null ? () -> false : stopRequested;
    }

    /** A run that is never asked to stop. */
    public RunControl(int patience, TokenSource test, CheckpointSchedule checkpoints, List<RecomputePolicy> recompute,
                      PrecisionPolicy precision) {
        this(patience, test, checkpoints, recompute, precision, null);
    }
}
