// What a training run does besides the hyperparameters' loop: early stopping on the validation
// loss, the test split evaluated once at the end, and checkpoints (resume, periodic saves).
// Leaves out time limits and signal handling.
package org.panatrain.engine.train;

import org.panatrain.engine.checkpoint.CheckpointSchedule;
import org.panatrain.engine.data.TokenSource;

/**
 * The optional parts of a {@link Trainer} run.
 *
 * <pre>{@code
 * RunControl control = new RunControl(3, testTokens, schedule);   // stop after 3 evaluations without a new best
 * Trainer.train(model, config, train, validation, control, listener);
 * }</pre>
 *
 * @param patience    stop when this many validation losses in a row are not below the best one; 0 = never
 * @param test        tokens evaluated once after training (every B x T batch that fits), or null
 * @param checkpoints resume and save policy, or null for none
 */
public record RunControl(int patience, TokenSource test, CheckpointSchedule checkpoints) {
    /** No early stopping, no test split, no checkpoints. */
    public static final RunControl NONE = new RunControl(0, null, null);

    public RunControl {
        if (patience < 0) {
            throw new IllegalArgumentException("--patience must not be negative, got " + patience);
        }
    }
}
