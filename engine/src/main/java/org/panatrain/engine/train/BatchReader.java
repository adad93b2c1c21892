// Reads training batches as DESIGN.md fixes them: a batch of B x T takes B*T+1 consecutive tokens
// at the current position; inputs are the first B*T, targets the same shifted by one; the position
// then advances by B*T and wraps to 0 when fewer than B*T+1 tokens are left (one epoch done).
// A resumed run puts the reader back where its checkpoint says; its position is the ShardLoader's
// of one shard (shard 0), so the two record positions alike. Leaves out shuffling (a corpus is
// shuffled when it is made) and sharding across processes.
package org.panatrain.engine.train;

import org.panatrain.engine.data.BatchSource;
import org.panatrain.engine.data.ShardLoader;
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

    /**
     * Where the next batch starts: (passes completed, shard 0, its first token); at the end of a
     * pass, the start of the next one, as a one-shard {@link ShardLoader} says.
     */
    @Override
    public ShardLoader.Position position() {
        return wraps() ? new ShardLoader.Position(epoch + 1, 0, 0) : new ShardLoader.Position(epoch, 0, position);
    }

    /** Continues from {@code p}, as recorded by {@link #position()}; the shard must be 0. */
    @Override
    public void seek(ShardLoader.Position p) {
        if (p.shard() != 0 || p.offset() > source.length()) {
            throw new IllegalArgumentException(p + " is outside " + source.name() + " (one shard of "
                    + source.length() + " tokens)");
        }
        position = p.offset();
        epoch = p.epoch();
    }

    private boolean wraps() {
        return position + window.length > source.length();
    }

    /** Fills inputs (B*T) and targets (B*T) with the next batch and advances. */
    @Override
    public void next(int[] inputs, int[] targets) {
        if (wraps()) {
            position = 0;
            epoch++;
        }
        source.read(position, window);
        System.arraycopy(window, 0, inputs, 0, window.length - 1);
        System.arraycopy(window, 1, targets, 0, window.length - 1);
        position += (long) B * T;
    }
}
