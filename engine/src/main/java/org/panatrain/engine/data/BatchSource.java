// What the training loop reads its micro-batches from: the in-memory BatchReader (built-in
// corpus, synthetic tokens) or the prefetching ShardLoader (token shard files), and where it is
// (epoch, shard, offset; the in-memory reader is one shard), which checkpoints record and resume
// from. Leaves out what the position means across sources of different data (a resume checks the
// data's name and length first).
package org.panatrain.engine.data;

import org.panatrain.memory.Tensor;

/**
 * B x T training batches, one after another.
 *
 * <pre>{@code
 * try (BatchSource batches = ShardLoader.open(files, V, B, T, seed)) {
 *     int[] inputs = new int[B * T], targets = new int[B * T];
 *     batches.next(inputs, targets);
 *     double waited = batches.waitNanos() * 1e-9;
 * }
 * }</pre>
 */
public interface BatchSource extends AutoCloseable {

    /** Fills inputs (B*T) and targets (B*T, the inputs shifted by one token) with the next batch. */
    void next(int[] inputs, int[] targets);

    /**
     * True when the batches are already on their way to the device (a ShardLoader staging for a
     * CUDA backend): read them with {@link #next(Tensor, Tensor)} instead of uploading arrays.
     */
    default boolean stagesOnDevice() {
        return false;
    }

    /**
     * Puts the next batch into the device tensors {@code inputs} and {@code targets} (INT32, B*T
     * each), ordered before the work the backend queues after this call; does not wait for the copy.
     * Only for a source that {@link #stagesOnDevice()}.
     */
    default void next(Tensor inputs, Tensor targets) {
        throw new UnsupportedOperationException(getClass().getSimpleName() + " does not stage batches on a device");
    }

    /** Where the batch the next {@link #next} call returns is. */
    ShardLoader.Position position();

    /**
     * Continues from {@code p}, as {@link #position()} of a source over the same data and batch
     * shape recorded it; IllegalArgumentException when {@code p} is not a batch of this source.
     */
    void seek(ShardLoader.Position p);

    /** Nanoseconds the callers of {@link #next} have waited for data so far (0 when reading in place). */
    default long waitNanos() {
        return 0;
    }

    /** Releases what the source holds (threads, mapped files); a no-op for in-memory sources. */
    @Override
    default void close() {
    }
}
