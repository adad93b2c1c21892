// The checkpoint policy of a training loop: resume from the newest complete checkpoint when
// asked, save every N steps and after the last one (or the step a run stops early at), prune to
// the newest K. The loop hands in its position (data, shuffle/RNG state, early-stopping record)
// with every step; the run config is compared on resume. Leaves out time-based saving and saving
// on signals (a Ctrl-C handler would call save directly).
package org.panatrain.engine.checkpoint;

import java.util.Optional;
import java.util.SequencedMap;
import java.util.function.Consumer;
import org.panatrain.engine.data.BatchSource;
import org.panatrain.engine.data.ShardLoader;
import org.panatrain.engine.io.BadInputException;
import org.panatrain.engine.model.Gpt2;
import org.panatrain.engine.optim.Optimizer;
import org.panatrain.engine.precision.Precision;
import org.panatrain.engine.precision.PrecisionState;

/**
 * {@code --checkpoint-dir}, {@code --checkpoint-every}, {@code --keep-last}, {@code --resume}.
 *
 * <pre>{@code
 * CheckpointSchedule ckpt = new CheckpointSchedule(store, 100, 3, true, runConfig, seed, System.err::println);
 * Optional<CheckpointState> resumed = ckpt.resume(model, optimizer, Precision.FP16);
 * resumed.ifPresent(s -> { ckpt.seek(batches, s); precision.restore(s.precision()); });
 * for (long step = resumed.map(CheckpointState::step).orElse(0L) + 1; step <= steps; step++) {
 *     ...train one step...
 *     ckpt.afterStep(step, steps, model, optimizer,
 *             new CheckpointSchedule.Position(batches.position(), 0, Double.NaN, 0, precision.state()));
 * }
 * }</pre>
 *
 * @param store     where the checkpoints go
 * @param every     save after every this many steps (0: only after the last step)
 * @param keepLast  committed checkpoints kept
 * @param resume    restore the newest complete checkpoint, if any, before training
 * @param runConfig the settings a resumed run must match
 * @param seed      the shuffle seed recorded with the data position
 * @param log       one line per save, resume and skipped checkpoint
 */
public record CheckpointSchedule(CheckpointStore store, int every, int keepLast, boolean resume,
                                 SequencedMap<String, String> runConfig, long seed, Consumer<String> log) {
    /**
     * Where a run is, besides its tensors: what a resume needs to continue exactly.
     *
     * @param data           where the data loader is (epoch, shard, offset)
     * @param rngState       the state of the run's random generator
     * @param bestValLoss    the lowest validation loss so far, or NaN
     * @param evalsSinceBest validation evaluations since the best one
     * @param precision      the precision, its loss scaler and FP8 scaling state
     */
    public record Position(ShardLoader.Position data, long rngState, double bestValLoss, long evalsSinceBest,
                           PrecisionState precision) {
    }

    public CheckpointSchedule {
        if (every < 0 || keepLast < 1) {
            throw new IllegalArgumentException("--checkpoint-every must be >= 0 and --keep-last >= 1");
        }
    }

    /**
     * With {@code resume}: restores the newest complete checkpoint into {@code model} and
     * {@code optimizer} and returns its state (the loop continues after its step, from its data
     * position, and restores its precision state). Empty when not resuming or when there is no
     * checkpoint yet. A checkpoint trained in another precision than {@code precision} is refused
     * with a BadInputException before anything changes.
     */
    public Optional<CheckpointState> resume(Gpt2 model, Optimizer optimizer, Precision precision) {
        if (!resume) {
            return Optional.empty();
        }
        Optional<Checkpoint> found = store.latest(runConfig);
        if (found.isEmpty()) {
            log.accept("checkpoint: nothing to resume, starting at step 0");
            return Optional.empty();
        }
        Precision saved = found.get().state().precision().precision();
        if (saved != precision) {
            throw new BadInputException(found.get().directory().resolve(CheckpointStore.STATE_FILE),
                    "checkpoint was trained with --precision " + saved.cliName() + ", this run uses --precision "
                            + precision.cliName() + " (resume it with --precision " + saved.cliName() + ")");
        }
        found.get().restore(model, optimizer);
        log.accept("checkpoint: resumed from " + found.get().directory() + " (step " + found.get().state().step() + ")");
        return Optional.of(found.get().state());
    }

    /**
     * Puts {@code batches} where {@code resumed} (from {@link #resume}) says; a position that is
     * not a batch of {@code batches} is a BadInputException naming the checkpoint's state.json.
     */
    public void seek(BatchSource batches, CheckpointState resumed) {
        try {
            batches.seek(resumed.data());
        } catch (IllegalArgumentException e) {
            throw new BadInputException(store.directoryOf(resumed.step()).resolve(CheckpointStore.STATE_FILE),
                    "data position: " + e.getMessage());
        }
    }

    /**
     * Saves when {@code step} is a multiple of {@code every} or the last of {@code totalSteps},
     * then prunes; returns whether it saved.
     */
    public boolean afterStep(long step, long totalSteps, Gpt2 model, Optimizer optimizer, Position position) {
        if (!(step == totalSteps || (every > 0 && step % every == 0))) {
            return false;
        }
        save(step, model, optimizer, position);
        return true;
    }

    /** Saves the checkpoint of {@code step} now, then prunes. */
    public void save(long step, Gpt2 model, Optimizer optimizer, Position p) {
        CheckpointState state = new CheckpointState(step, p.data(), seed, p.rngState(), p.precision(),
                p.bestValLoss(), p.evalsSinceBest(), runConfig);
        log.accept("checkpoint: saved " + store.save(model, optimizer, state));
        store.prune(keepLast);
    }
}
