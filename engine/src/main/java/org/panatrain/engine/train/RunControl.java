// What a training run does besides the hyperparameters' loop: early stopping on the validation
// loss, the test split evaluated once at the end, checkpoints (resume, periodic saves), which
// activations each layer recomputes in the backward (results are the same; memory is not), and
// the precision policy (FP32 when null).
// Leaves out time limits and signal handling.
package org.panatrain.engine.train;

import java.util.List;
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
 */
public record RunControl(int patience, TokenSource test, CheckpointSchedule checkpoints,
                         List<RecomputePolicy> recompute, PrecisionPolicy precision) {
    /** No early stopping, no test split, no checkpoints, no recompute, FP32. */
    public static final RunControl NONE = new RunControl(0, null, null, null, null);

    public RunControl {
        if (patience < 0) {
            throw new IllegalArgumentException("--patience must not be negative, got " + patience);
        }
        recompute = recompute == null ? null : List.copyOf(recompute);
    }
}
