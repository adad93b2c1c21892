// The CPU backend's worker threads: one fixed pool per backend, work split into contiguous
// ranges so that every result is independent of scheduling (deterministic reductions reduce
// per-range partials in range order), run by task objects made once and reused, so that a call
// allocates nothing. Knob: -Dpanatrain.threads=N (default: all processors).
package org.panatrain.kernels.cpu;

import java.util.Arrays;
import java.util.concurrent.ForkJoinPool;
import java.util.concurrent.ForkJoinTask;
import java.util.concurrent.ForkJoinWorkerThread;
import java.util.concurrent.RecursiveAction;

/**
 * Runs {@code body(start, end)} over [0, n) split into ranges of at least {@code grain} items.
 *
 * <pre>{@code
 * try (Parallel p = new Parallel(Parallel.defaultThreads())) {
 *     p.forRange(rows, 16, (start, end) -> { for (int r = start; r < end; r++) work(r); });
 * }
 * }</pre>
 */
public final class Parallel implements AutoCloseable {

    /** A body over the half-open range [start, end). */
    @FunctionalInterface
    public interface RangeBody {
        void run(int start, int end);
    }

    private final ForkJoinPool pool;
    private final int threads;
    private final Root root = new Root();
    private Chunk[] tasks = new Chunk[0];   // grow-only, reused by every call

    public Parallel(int threads) {
        if (threads < 1) {
            throw new IllegalArgumentException("need at least one thread, got " + threads);
        }
        this.threads = threads;
        this.pool = threads == 1 ? null : new ForkJoinPool(threads);
    }

    /** The value of {@code panatrain.threads}, else the number of available processors. */
    public static int defaultThreads() {
        return Integer.getInteger("panatrain.threads", Runtime.getRuntime().availableProcessors());
    }

    public int threads() {
        return threads;
    }

    /**
     * Number of ranges {@link #forRange} splits n items into: at most 4 per thread so that
     * uneven ranges balance, and none smaller than {@code grain}.
     */
    public int chunks(int n, int grain) {
        if (n <= 0) {
            return 0;
        }
        int byGrain = Math.max(1, n / Math.max(1, grain));
        return Math.min(byGrain, threads == 1 ? 1 : threads * 4);
    }

    /** Start of chunk {@code c} of {@code chunks} over n items (chunk c is [start(c), start(c+1))). */
    public static int chunkStart(int n, int chunks, int c) {
        return (int) ((long) n * c / chunks);
    }

    /** Runs body over [0, n) in {@link #chunks} contiguous ranges, in parallel; returns when all are done. */
    public void forRange(int n, int grain, RangeBody body) {
        int chunks = chunks(n, grain);
        if (chunks == 0) {
            return;
        }
        if (chunks == 1 || pool == null) {
            body.run(0, n);
            return;
        }
        dispatch(n, chunks, body, true);
    }

    /** Runs body over chunk indices [0, chunks) in parallel; chunk c covers chunkStart(n, chunks, c)... */
    public void forChunks(int n, int chunks, RangeBody chunkBody) {
        if (pool == null || chunks <= 1) {
            chunkBody.run(0, chunks);
            return;
        }
        dispatch(n, chunks, chunkBody, false);
    }

    /**
     * Runs chunk tasks 0..chunks-1 of the current call on the pool. The task objects are made once
     * and reinitialized per call, so a call allocates nothing (one caller at a time, as the CPU
     * backend is used); a call from inside one of this pool's tasks gets tasks of its own.
     */
    private void dispatch(int n, int chunks, RangeBody body, boolean ranges) {
        if (Thread.currentThread() instanceof ForkJoinWorkerThread w && w.getPool() == pool) {
            ForkJoinTask<?>[] nested = new ForkJoinTask<?>[chunks];
            for (int c = 0; c < chunks; c++) {
                nested[c] = new Chunk(c, n, chunks, body, ranges);
            }
            ForkJoinTask.invokeAll(nested);
            return;
        }
        if (tasks.length < chunks) {
            tasks = Arrays.copyOf(tasks, chunks);
        }
        for (int c = 0; c < chunks; c++) {
            if (tasks[c] == null) {
                tasks[c] = new Chunk(c, 0, 0, null, false);
            }
            tasks[c].set(n, chunks, body, ranges);
            tasks[c].reinitialize();
        }
        root.chunks = chunks;
        root.reinitialize();
        try {
            pool.invoke(root);
        } finally {
            for (int c = 0; c < chunks; c++) {
                tasks[c].set(0, 0, null, false); // drop the body: it holds the call's tensors
            }
        }
    }

    /** Chunk c of a call: the range of chunk c (forRange) or the chunk index c (forChunks). */
    private static final class Chunk extends RecursiveAction {
        private static final long serialVersionUID = 1L;
        private final int c;
        private int n;
        private int chunks;
        private transient RangeBody body;
        private boolean ranges;

        Chunk(int c, int n, int chunks, RangeBody body, boolean ranges) {
            this.c = c;
            set(n, chunks, body, ranges);
        }

        void set(int n, int chunks, RangeBody body, boolean ranges) {
            this.n = n;
            this.chunks = chunks;
            this.body = body;
            this.ranges = ranges;
        }

        @Override
        protected void compute() {
            if (ranges) {
                body.run(chunkStart(n, chunks, c), chunkStart(n, chunks, c + 1));
            } else {
                body.run(c, c + 1);
            }
        }
    }

    /** Forks chunks 1.. of the current call, runs chunk 0 itself, then joins the rest. */
    private final class Root extends RecursiveAction {
        private static final long serialVersionUID = 1L;
        private int chunks;

        @Override
        protected void compute() {
            for (int c = chunks - 1; c >= 1; c--) {
                tasks[c].fork();
            }
            tasks[0].invoke();
            for (int c = 1; c < chunks; c++) {
                tasks[c].join();
            }
        }
    }

    @Override
    public void close() {
        if (pool != null) {
            pool.shutdown();
        }
    }
}
