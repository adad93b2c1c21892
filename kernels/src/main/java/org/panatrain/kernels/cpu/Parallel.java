// The CPU backend's worker threads: one fixed pool per backend, work split into contiguous
// ranges so that every result is independent of scheduling (deterministic reductions reduce
// per-range partials in range order). Knob: -Dpanatrain.threads=N (default: all processors).
package org.panatrain.kernels.cpu;

import java.util.concurrent.ForkJoinPool;
import java.util.concurrent.ForkJoinTask;
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
        forChunks(n, chunks, (c0, c1) -> {
            for (int c = c0; c < c1; c++) {
                body.run(chunkStart(n, chunks, c), chunkStart(n, chunks, c + 1));
            }
        });
    }

    /** Runs body over chunk indices [0, chunks) in parallel; chunk c covers chunkStart(n, chunks, c)... */
    public void forChunks(int n, int chunks, RangeBody chunkBody) {
        if (pool == null || chunks <= 1) {
            chunkBody.run(0, chunks);
            return;
        }
        ForkJoinTask<?>[] tasks = new ForkJoinTask<?>[chunks];
        for (int c = 0; c < chunks; c++) {
            final int cc = c;
            tasks[c] = new RecursiveAction() {
                @Override
                protected void compute() {
                    chunkBody.run(cc, cc + 1);
                }
            };
        }
        if (ForkJoinTask.inForkJoinPool()) {
            ForkJoinTask.invokeAll(tasks);
        } else {
            pool.invoke(new RecursiveAction() {
                @Override
                protected void compute() {
                    invokeAll(tasks);
                }
            });
        }
    }

    @Override
    public void close() {
        if (pool != null) {
            pool.shutdown();
        }
    }
}
