// Training batches from llm.c token shards, prepared ahead on a background thread: the shards are
// memory-mapped through FFM and validated once (TokenShard), a daemon thread fills the next K
// batches (K = panatrain.loader.prefetch, default 4) into a ring of preallocated (inputs, targets)
// pairs which the consumer hands back after copying them out, so that after start-up neither side
// allocates. Shard order is shuffled per epoch from the seed; rank r of w takes every w-th batch.
// On a CUDA backend (over(..., kernels)) each slot is also staged in pinned memory and copied to
// the device on a copy stream of its own (DeviceStaging), so the step reads its tokens from the
// device without a synchronous upload. Leaves out shuffling within a shard and handing a batch's
// arrays out without a copy on the CPU.
package org.panatrain.engine.data;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Random;
import java.util.concurrent.locks.LockSupport;
import org.panatrain.bindings.CudaException;
import org.panatrain.engine.io.BadInputException;
import org.panatrain.engine.io.TokenShard;
import org.panatrain.kernels.Kernels;
import org.panatrain.memory.Tensor;

/**
 * Prefetched B x T batches of one or more token shards.
 *
 * <p><b>Order.</b> Shard i of n_i tokens holds b_i = (n_i - 1) / (B*T) batches; its batch j reads
 * the B*T+1 tokens from j*B*T (inputs the first B*T, targets the same shifted by one; a tail of
 * fewer tokens is not read). Epoch e visits the shards in the order that
 * {@code Collections.shuffle(<list 0..S-1>, new Random(seed + e))} gives, each shard's batches in
 * file order; batch g of the epoch is the g-th of that sequence of N = sum b_i batches.
 *
 * <p><b>Ranks.</b> Rank r of w (data parallelism) takes the interleaved batches g = r, r+w, r+2w, ...
 * below floor(N/w)*w: the ranks partition those batches and each gets floor(N/w) per epoch, so
 * they stay in step; the last N mod w batches of an epoch are skipped. Then the next epoch starts.
 *
 * <p><b>Position.</b> {@link #position()} names the batch the next {@link #next} call returns as
 * (epoch, shard index in that epoch's order, token offset in the shard); the shuffle derives from
 * (seed, epoch), so {@link #seek} with a saved position continues exactly.
 *
 * <p><b>Device staging.</b> Made by {@link #over(List, int, int, long, int, int, Kernels)} with a
 * CUDA backend, the loader also copies each prefetched batch to the device on its own stream;
 * {@link #next(Tensor, Tensor)} then orders it into the step's token tensors on the backend's
 * stream without waiting. On the CPU backend the loader is the same as without one.
 *
 * <p><b>Failures.</b> Opening checks every shard (a bad one is a {@link BadInputException} naming
 * it). A failure on the loader thread is thrown by the {@link #next} call that needs the batch
 * the loader could not produce, as a BadInputException naming the file, with the original cause.
 *
 * <pre>{@code
 * try (ShardLoader loader = ShardLoader.open(List.of(shard0, shard1), V, B, T, seed, 0, 1)) {
 *     loader.next(inputs, targets);            // (B*T) each
 *     ShardLoader.Position saved = loader.position();
 *     long waitedNanos = loader.waitNanos();   // total time next() waited for the loader thread
 * }
 * }</pre>
 */
public final class ShardLoader implements BatchSource {

    /**
     * Where a loader is: the next batch is at token {@code offset} of shard number {@code shard}
     * of epoch {@code epoch}'s shuffled order.
     */
    public record Position(long epoch, int shard, long offset) {
        public Position {
            if (epoch < 0 || shard < 0 || offset < 0) {
                throw new IllegalArgumentException("negative epoch, shard or offset: " + epoch + ", " + shard + ", " + offset);
            }
        }
    }

    /** A prefetched batch and the (epoch, batch) of this rank's batch after it. */
    private static final class Slot {
        final int[] inputs;
        final int[] targets;
        long epochAfter;
        long batchAfter;

        Slot(int n) {
            inputs = new int[n];
            targets = new int[n];
        }
    }

    private final List<TokenShard> shards; // in the order given
    private final boolean ownsShards;
    private final int batchTokens;         // B*T
    private final long seed;
    private final int rank;
    private final int worldSize;
    private final long batchesPerRank;     // floor(N / w) per epoch
    private final Slot[] ring;
    private final DeviceStaging staging;   // null: batches stay on the host

    // Single producer, single consumer: slot (seq % K) is the producer's while seq >= consumed
    // and seq - consumed < K, the consumer's once seq < produced.
    private volatile long produced;
    private volatile long consumed;
    private volatile boolean stopping;
    private volatile Throwable failure;
    private volatile Path failedFile;
    private volatile Thread consumer;
    private Thread producer;
    private boolean closed;

    // The consumer's side.
    private long nextEpoch;
    private long nextBatch;
    private long waitNanos;
    private long lastWaitNanos;
    private long batchesServed;

    private ShardLoader(List<TokenShard> shards, boolean ownsShards, int B, int T, long seed, int rank, int worldSize,
                        int prefetch, Kernels kernels) {
        if (shards.isEmpty()) {
            throw new IllegalArgumentException("no token shards");
        }
        if (B < 1 || T < 1 || (long) B * T + 1 > Integer.MAX_VALUE) {
            throw new IllegalArgumentException("batch " + B + " x " + T + " is empty or too large");
        }
        if (worldSize < 1 || rank < 0 || rank >= worldSize) {
            throw new IllegalArgumentException("rank " + rank + " is not in 0.." + (worldSize - 1));
        }
        if (prefetch < 1) {
            throw new IllegalArgumentException("panatrain.loader.prefetch must be at least 1, got " + prefetch);
        }
        this.shards = List.copyOf(shards);
        this.ownsShards = ownsShards;
        this.batchTokens = B * T;
        this.seed = seed;
        this.rank = rank;
        this.worldSize = worldSize;
        long total = 0;
        for (TokenShard s : shards) {
            s.requireTokens(batchTokens + 1L, "one batch of B*T+1 = " + (batchTokens + 1L));
            total += (s.tokenCount() - 1) / batchTokens;
        }
        this.batchesPerRank = total / worldSize;
        if (batchesPerRank == 0) {
            throw new IllegalArgumentException("the shards hold " + total + " batches of " + B + " x " + T
                    + ", fewer than one per rank of " + worldSize);
        }
        this.ring = new Slot[prefetch];
        for (int i = 0; i < prefetch; i++) {
            ring[i] = new Slot(batchTokens);
        }
        this.staging = kernels == null ? null : DeviceStaging.forBackend(kernels, prefetch, batchTokens);
        start(0, rank);
    }

    /**
     * Opens (maps and validates) {@code files} for tokens below {@code vocabSize} and starts
     * prefetching from the start of epoch 0. Closing the loader unmaps them.
     */
    public static ShardLoader open(List<Path> files, int vocabSize, int B, int T, long seed, int rank, int worldSize) {
        List<TokenShard> opened = new ArrayList<>();
        try {
            for (Path f : files) {
                opened.add(TokenShard.open(f, vocabSize));
            }
            return new ShardLoader(opened, true, B, T, seed, rank, worldSize, prefetchDepth(), null);
        } catch (RuntimeException e) {
            opened.forEach(TokenShard::close);
            throw e;
        }
    }

    /** A loader over shards opened by the caller, who closes them after this loader. */
    public static ShardLoader over(List<TokenShard> shards, int B, int T, long seed, int rank, int worldSize) {
        return over(shards, B, T, seed, rank, worldSize, null);
    }

    /**
     * {@link #over(List, int, int, long, int, int)} for a step on {@code kernels}: on a CUDA
     * backend the batches are staged in pinned memory and copied to the device on a stream of their
     * own (read them with {@link #next(Tensor, Tensor)}); on any other, or null, they stay on the
     * host. Call on the thread that opened the backend.
     */
    public static ShardLoader over(List<TokenShard> shards, int B, int T, long seed, int rank, int worldSize,
                                   Kernels kernels) {
        return new ShardLoader(shards, false, B, T, seed, rank, worldSize, prefetchDepth(), kernels);
    }

    /** Batches prefetched ahead: {@code panatrain.loader.prefetch}, default 4. */
    public static int prefetchDepth() {
        return Integer.getInteger("panatrain.loader.prefetch", 4);
    }

    /** Batches this rank reads per epoch. */
    public long batchesPerEpoch() {
        return batchesPerRank;
    }

    /**
     * Fills inputs (B*T) and targets (B*T) with the next batch, waiting for the loader thread
     * when it is behind; allocates nothing.
     */
    @Override
    public void next(int[] inputs, int[] targets) {
        if (inputs.length != batchTokens || targets.length != batchTokens) {
            throw new IllegalArgumentException("inputs and targets must hold B*T = " + batchTokens + " tokens, got "
                    + inputs.length + " and " + targets.length);
        }
        long seq = awaitBatch();
        Slot slot = ring[(int) (seq % ring.length)];
        System.arraycopy(slot.inputs, 0, inputs, 0, batchTokens);
        System.arraycopy(slot.targets, 0, targets, 0, batchTokens);
        release(seq, slot);
    }

    @Override
    public boolean stagesOnDevice() {
        return staging != null;
    }

    /**
     * Orders the next batch into the device tensors {@code inputs} and {@code targets} (INT32,
     * B*T each) on the backend's stream, after its copy to the device; waits only when the loader
     * thread is behind, never for a copy. Only for a loader made with a CUDA backend.
     */
    @Override
    public void next(Tensor inputs, Tensor targets) {
        if (staging == null) {
            throw new IllegalStateException("this loader keeps its batches on the host: use next(int[], int[])");
        }
        if (inputs.numel() != batchTokens || targets.numel() != batchTokens) {
            throw new IllegalArgumentException("inputs and targets must hold B*T = " + batchTokens + " tokens, got "
                    + inputs + " and " + targets);
        }
        long seq = awaitBatch();
        int at = (int) (seq % ring.length);
        staging.deliver(at, inputs, targets);
        release(seq, ring[at]);
    }

    // The consumer's wait for batch number `consumed`, counted in the wait times; returns that number.
    private long awaitBatch() {
        if (closed) {
            throw new IllegalStateException("the shard loader is closed");
        }
        Thread me = Thread.currentThread();
        if (consumer != me) {
            consumer = me;
        }
        long seq = consumed;
        long waitStart = System.nanoTime();
        while (produced == seq) {
            if (failure != null) {
                throw surfaced();
            }
            LockSupport.park(this);
        }
        long waited = System.nanoTime() - waitStart;
        lastWaitNanos = waited;
        waitNanos += waited;
        return seq;
    }

    // Hands slot `seq` back to the loader thread once its batch has been taken.
    private void release(long seq, Slot slot) {
        nextEpoch = slot.epochAfter;
        nextBatch = slot.batchAfter;
        consumed = seq + 1;
        LockSupport.unpark(producer);
        batchesServed++;
    }

    /** Total nanoseconds {@link #next} has waited for the loader thread. */
    @Override
    public long waitNanos() {
        return waitNanos;
    }

    /** Nanoseconds the latest {@link #next} call waited. */
    public long lastWaitNanos() {
        return lastWaitNanos;
    }

    /** Batches {@link #next} has returned. */
    public long batchesServed() {
        return batchesServed;
    }

    /** The position of the batch the next {@link #next} call returns. */
    @Override
    public Position position() {
        EpochOrder order = new EpochOrder();
        order.shuffle(nextEpoch);
        int at = order.indexOf(nextBatch);
        return new Position(nextEpoch, at, (nextBatch - order.first[at]) * batchTokens);
    }

    /**
     * Continues from {@code p}, as {@link #position()} of a loader over the same shards, batch
     * shape, seed, rank and world size recorded it; drops the batches prefetched so far.
     */
    @Override
    public void seek(Position p) {
        if (closed) {
            throw new IllegalStateException("the shard loader is closed");
        }
        EpochOrder order = new EpochOrder();
        order.shuffle(p.epoch());
        long shardBatches = p.shard() < shards.size() ? order.first[p.shard() + 1] - order.first[p.shard()] : 0;
        long batch = p.shard() < shards.size() ? order.first[p.shard()] + p.offset() / batchTokens : -1;
        if (shardBatches == 0 || p.offset() % batchTokens != 0 || p.offset() / batchTokens >= shardBatches
                || batch % worldSize != rank || batch >= batchesPerRank * worldSize) {
            throw new IllegalArgumentException(p + " is not a batch of rank " + rank + " of " + worldSize
                    + " over these " + shards.size() + " shards with B*T = " + batchTokens);
        }
        stop();
        start(p.epoch(), batch);
    }

    /** Stops the loader thread and, when this loader opened them, unmaps the shards. */
    @Override
    public void close() {
        if (closed) {
            return;
        }
        closed = true;
        stop();
        if (staging != null) {
            staging.close();
        }
        if (ownsShards) {
            shards.forEach(TokenShard::close);
        }
    }

    private void start(long epoch, long batch) {
        produced = 0;
        consumed = 0;
        failure = null;
        failedFile = null;
        stopping = false;
        nextEpoch = epoch;
        nextBatch = batch;
        producer = Thread.ofPlatform().name("panatrain-loader-" + rank).daemon()
                .unstarted(() -> produce(epoch, batch));
        producer.start();
    }

    private void stop() {
        stopping = true;
        LockSupport.unpark(producer);
        boolean interrupted = false;
        while (producer.isAlive()) {
            try {
                producer.join();
            } catch (InterruptedException e) {
                interrupted = true;
            }
        }
        if (interrupted) {
            Thread.currentThread().interrupt();
        }
    }

    /** The loader thread: fills free slots in order until stopped. */
    private void produce(long epoch, long batch) {
        EpochOrder order = new EpochOrder();
        order.shuffle(epoch);
        long seq = 0;
        try {
            if (staging != null) {
                staging.attachThread();
            }
            while (!stopping) {
                if (seq - consumed >= ring.length) {
                    LockSupport.park(this);
                    continue;
                }
                Slot slot = ring[(int) (seq % ring.length)];
                int at = order.indexOf(batch);
                TokenShard shard = shards.get(order.shards[at]);
                long offset = (batch - order.first[at]) * batchTokens;
                failedFile = shard.file();
                shard.read(offset, slot.inputs);
                shard.read(offset + 1, slot.targets);
                failedFile = null;
                if (staging != null) {
                    staging.stage((int) (seq % ring.length), slot.inputs, slot.targets);
                }
                batch += worldSize;
                if (batch >= batchesPerRank * worldSize) {
                    epoch++;
                    order.shuffle(epoch);
                    batch = rank;
                }
                slot.epochAfter = epoch;
                slot.batchAfter = batch;
                produced = ++seq;
                LockSupport.unpark(consumer);
            }
        } catch (Throwable t) {
            failure = t;
            LockSupport.unpark(consumer);
        }
    }

    private RuntimeException surfaced() {
        Throwable cause = failure;
        if (cause instanceof CudaException cuda) { // a staging copy failed: the trainer's device-fault handling takes it
            return cuda;
        }
        Path file = failedFile;
        String what = cause.getMessage() != null ? cause.getMessage() : cause.getClass().getName();
        if (file != null) {
            return new BadInputException(file, "reading a batch failed (" + what.lines().findFirst().orElse("")
                    + "); was the file changed or truncated while training?", cause);
        }
        return new IllegalStateException("the data loader thread failed: " + what, cause);
    }

    /** One epoch's shard order and where each shard's batches start in it. */
    private final class EpochOrder {
        final int[] shards = new int[ShardLoader.this.shards.size()];  // file index at each place
        final long[] first = new long[shards.length + 1];               // first global batch of each place
        final Random random = new Random();

        /** The order of {@code epoch}: Collections.shuffle's swaps on 0..S-1 with Random(seed + epoch). */
        void shuffle(long epoch) {
            random.setSeed(seed + epoch);
            for (int i = 0; i < shards.length; i++) {
                shards[i] = i;
            }
            for (int i = shards.length; i > 1; i--) {
                int j = random.nextInt(i);
                int t = shards[i - 1];
                shards[i - 1] = shards[j];
                shards[j] = t;
            }
            for (int i = 0; i < shards.length; i++) {
                first[i + 1] = first[i] + (ShardLoader.this.shards.get(shards[i]).tokenCount() - 1) / batchTokens;
            }
        }

        /** The place in the order holding global batch {@code batch}. */
        int indexOf(long batch) {
            int i = Arrays.binarySearch(first, 0, shards.length, batch);
            return i >= 0 ? i : -i - 2;
        }
    }
}
