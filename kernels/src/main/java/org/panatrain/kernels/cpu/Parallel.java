// The CPU backend's worker threads: one fixed pool per backend, work split into contiguous
// ranges so that every result is independent of scheduling (deterministic reductions reduce
// per-range partials in range order), run by task objects made once and reused, so that a call
// allocates nothing when its body is a reused object (see Body). Knob: -Dpanatrain.threads=N
// (default: all processors).
package org.panatrain.kernels.cpu;

import java.util.Arrays;
import java.util.concurrent.ForkJoinPool;
import java.util.concurrent.ForkJoinTask;
import java.util.concurrent.ForkJoinWorkerThread;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicReference;
import java.util.concurrent.locks.LockSupport;

/**
 * Runs {@code body(start, end)} over [0, n) split into ranges of at least {@code grain} items.
 *
 * <pre>{@code
 * try (Parallel p = new Parallel(Parallel.defaultThreads())) {
 *     p.forRange(rows, 16, (start, end) -> { for (int r = start; r < end; r++) work(r); });
 *     // on a hot path: operands in a reused object, its method as the body (no capturing lambda)
 *     call.out = out;
 *     p.forRange(rows, 16, call, Call::rows);       // Call.rows(int start, int end)
 * }
 * }</pre>
 */
public final class Parallel implements AutoCloseable {

    /** A body over the half-open range [start, end). */
    @FunctionalInterface
    public interface RangeBody {
        void run(int start, int end);
    }

    /** A body over [start, end) that reads its operands from a target object. */
    @FunctionalInterface
    public interface Body<T> {
        void run(T target, int start, int end);
    }

    private final ForkJoinPool pool;
    private final int threads;
    private Chunk[] tasks = new Chunk[0];   // grow-only, reused by every call
    private final AtomicInteger pending = new AtomicInteger();   // chunks of the current call not yet done
    private volatile Thread waiter;                               // the thread that started the current call
    private final AtomicReference<Thread> caller = new AtomicReference<>(); // held during a call: one at a time
    private volatile Throwable failure;                           // what a chunk of the current call threw

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
        forRange(n, grain, body, RangeBody::run);
    }

    /**
     * {@link #forRange(int, int, RangeBody)} for a body that reads its operands from {@code target}:
     * with an unbound method reference ({@code Call::rows}) the call allocates nothing, where a
     * lambda capturing the operands would be a new object every call.
     */
    public <T> void forRange(int n, int grain, T target, Body<? super T> body) {
        int chunks = chunks(n, grain);
        if (chunks == 0) {
            return;
        }
        if (chunks == 1 || pool == null) {
            body.run(target, 0, n);
            return;
        }
        dispatch(n, chunks, target, body, true);
    }

    /** Runs body over chunk indices [0, chunks) in parallel; chunk c covers chunkStart(n, chunks, c)... */
    public void forChunks(int n, int chunks, RangeBody chunkBody) {
        forChunks(n, chunks, chunkBody, RangeBody::run);
    }

    /** {@link #forChunks(int, int, RangeBody)} for a body that reads its operands from {@code target}. */
    public <T> void forChunks(int n, int chunks, T target, Body<? super T> chunkBody) {
        if (pool == null || chunks <= 1) {
            chunkBody.run(target, 0, chunks);
            return;
        }
        dispatch(n, chunks, target, chunkBody, false);
    }

    /**
     * Runs chunk tasks 0..chunks-1 of the current call on the pool. The task objects are made once
     * and reused by every call; the caller hands them to the pool and parks until the last one
     * counts itself done (a ForkJoinPool.invoke or join from outside the pool allocates a wait
     * node per call), so a call allocates nothing. One outside caller at a time: a second thread
     * calling meanwhile gets an IllegalStateException rather than corrupting the tasks. A call
     * from inside one of this pool's tasks gets tasks of its own.
     */
    @SuppressWarnings("unchecked")
    private <T> void dispatch(int n, int chunks, T target, Body<? super T> body, boolean ranges) {
        Body<Object> anyBody = (Body<Object>) body;
        if (Thread.currentThread() instanceof ForkJoinWorkerThread w && w.getPool() == pool) {
            ForkJoinTask<?>[] nested = new ForkJoinTask<?>[chunks];
            for (int c = 0; c < chunks; c++) {
                Chunk chunk = new Chunk(c, false);
                chunk.set(n, chunks, target, anyBody, ranges);
                nested[c] = chunk;
            }
            ForkJoinTask.invokeAll(nested);
            return;
        }
        Thread me = Thread.currentThread();
        if (!caller.compareAndSet(null, me)) {   // a second thread would overwrite the reused tasks
            Thread holder = caller.get();
            throw new IllegalStateException(me.getName() + " called the CPU backend while "
                    + (holder == null ? "another thread" : holder.getName())
                    + " was in a call: a backend takes one calling thread at a time");
        }
        try {
            runOnPool(n, chunks, target, anyBody, ranges);
        } finally {
            caller.set(null);
        }
    }

    /** The body of {@link #dispatch} for the one outside caller, which holds {@link #caller}. */
    private void runOnPool(int n, int chunks, Object target, Body<Object> anyBody, boolean ranges) {
        if (tasks.length < chunks) {
            Chunk[] grown = Arrays.copyOf(tasks, chunks);
            for (int c = tasks.length; c < chunks; c++) {
                grown[c] = new Chunk(c, true);
            }
            tasks = grown;
        }
        waiter = Thread.currentThread();
        pending.set(chunks);
        for (int c = 0; c < chunks; c++) {
            tasks[c].set(n, chunks, target, anyBody, ranges);
            pool.execute(tasks[c]);
        }
        while (pending.get() > 0) {
            LockSupport.park(this);   // an interrupt only makes this a spin until the chunks finish
        }
        for (int c = 0; c < chunks; c++) {
            tasks[c].set(0, 0, null, null, false); // drop the target: it holds the call's tensors
        }
        waiter = null;
        Throwable thrown = failure;
        if (thrown != null) {
            failure = null;
            if (thrown instanceof RuntimeException e) {
                throw e;
            }
            if (thrown instanceof Error e) {
                throw e;
            }
            throw new IllegalStateException(thrown);
        }
    }

    /**
     * Chunk c of a call: the range of chunk c (forRange) or the chunk index c (forChunks). A task of
     * dispatch's own is never marked done: it counts itself down in {@code pending} instead, so that
     * it can be submitted again as soon as the caller sees the count reach zero (a done mark that
     * the pool sets after the body returns could otherwise land on the next call's submission).
     */
    private final class Chunk extends ForkJoinTask<Void> {
        private static final long serialVersionUID = 1L;
        private final int c;
        private final boolean counted;   // a task of dispatch's own, counted down in pending
        private int n;
        private int chunks;
        private transient Object target;
        private transient Body<Object> body;
        private boolean ranges;

        Chunk(int c, boolean counted) {
            this.c = c;
            this.counted = counted;
        }

        void set(int n, int chunks, Object target, Body<Object> body, boolean ranges) {
            this.n = n;
            this.chunks = chunks;
            this.target = target;
            this.body = body;
            this.ranges = ranges;
        }

        @Override
        protected boolean exec() {
            if (!counted) {
                runBody();
                return true;
            }
            try {
                runBody();
            } catch (Throwable t) {
                failure = t;
            } finally {
                if (pending.decrementAndGet() == 0) {
                    LockSupport.unpark(waiter);
                }
            }
            return false;
        }

        @Override
        public Void getRawResult() {
            return null;
        }

        @Override
        protected void setRawResult(Void value) {
        }

        private void runBody() {
            if (ranges) {
                body.run(target, chunkStart(n, chunks, c), chunkStart(n, chunks, c + 1));
            } else {
                body.run(target, c, c + 1);
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
