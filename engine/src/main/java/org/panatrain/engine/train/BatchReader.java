// Reads training batches as DESIGN.md fixes them: a batch of B x T takes B*T+1 consecutive tokens
// at the current position; inputs are the first B*T, targets the same shifted by one; the position
// then advances by B*T and wraps to 0 when fewer than B*T+1 tokens are left (one epoch done).
// A resumed run puts the reader back where its checkpoint says. Leaves out shuffling (a corpus is
// shuffled when it is made) and sharding across processes.
package org.panatrain.engine.train;

import org.panatrain.engine.data.BatchSource;
import org.panatrain.engine.data.TokenSource;

/**
 * Consecutive B x T batches of a token source.
 *
 * <pre>{@code
 * BatchReader reader = new BatchReader(source, B, T);
 * int[] inputs = new int[B * T], targets = new int[B * T];
 * reader.next(inputs, targets);
 * }</pre>
 */
public final class BatchReader implements BatchSource {
    private final TokenSource source;
    private final int B;
    private final int T;
    private final int[] window; // (B*T + 1)
    private long position;
    private long epoch;

    public BatchReader(TokenSource source, int B, int T) {
        this.source = source;
        this.B = B;
        this.T = T;
        long need = (long) B * T + 1;
        if (need > Integer.MAX_VALUE) {
            throw new IllegalArgumentException("batch " + B + " x " + T + " is too large");
        }
        if (source.length() < need) {
            throw new IllegalArgumentException(source.name() + ": " + source.length()
                    + " tokens, fewer than one batch of " + B + " x " + T + " + 1 = " + need);
        }
        this.window = new int[(int) need];
    }

    /** Batches that fit in the source before the position would wrap. */
    public long batchesPerPass() {
        return (source.length() - 1) / ((long) B * T);
    }

    /** Position of the next batch's first token. */
    public long position() {
        return position;
    }

    /** Passes over the source completed (wraps to the start so far). */
    public long epoch() {
        return epoch;
    }

    /** Continues from {@code position} in epoch {@code epoch}, as recorded by {@link #position()} and {@link #epoch()}. */
    public void seek(long newPosition, long newEpoch) {
        if (newPosition < 0 || newPosition > source.length() || newEpoch < 0) {
            throw new IllegalArgumentException("position " + newPosition + " / epoch " + newEpoch + " is outside "
                    + source.name() + " (" + source.length() + " tokens)");
        }
        position = newPosition;
        epoch = newEpoch;
    }

    /** Fills inputs (B*T) and targets (B*T) with the next batch and advances. */
    @Override
    public void next(int[] inputs, int[] targets) {
        if (position + window.length > source.length()) {
            position = 0;
            epoch++;
        }
        source.read(position, window);
        System.arraycopy(window, 0, inputs, 0, window.length - 1);
        System.arraycopy(window, 1, targets, 0, window.length - 1);
        position += (long) B * T;
    }
}
