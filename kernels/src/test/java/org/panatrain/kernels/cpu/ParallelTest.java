// Parallel's reused tasks: many calls in a row each cover every index exactly once (a task
// resubmitted while the pool still finishes its last run would be skipped and hang the call), and
// a body's exception reaches the caller and leaves the pool usable, a call from inside a body (on a
// worker) runs its own tasks, and an interrupted caller still waits for every chunk (then keeps its
// interrupt). That a warm call allocates
// nothing is measured end to end by the engine's SteadyStateAllocationTest.
package org.panatrain.kernels.cpu;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.concurrent.CountDownLatch;
import java.util.concurrent.atomic.AtomicIntegerArray;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

class ParallelTest {

    /** Counts, per index, how often a body ran over it. */
    private static final class Counts {
        final AtomicIntegerArray hits;

        Counts(int n) {
            hits = new AtomicIntegerArray(n);
        }

        void cover(int start, int end) {
            for (int i = start; i < end; i++) {
                hits.incrementAndGet(i);
            }
        }
    }

    @Test
    @Timeout(60)
    void everyCallCoversEachIndexOnce() {
        int n = 37;
        int calls = 20_000;
        Counts counts = new Counts(n);
        try (Parallel p = new Parallel(3)) {
            for (int call = 0; call < calls; call++) {
                p.forRange(n, 1, counts, Counts::cover);
            }
        }
        for (int i = 0; i < n; i++) {
            assertThat(counts.hits.get(i)).as("calls that covered index %d", i).isEqualTo(calls);
        }
    }

    @Test
    void aBodysExceptionReachesTheCallerAndThePoolGoesOn() {
        Counts counts = new Counts(8);
        try (Parallel p = new Parallel(2)) {
            assertThatThrownBy(() -> p.forRange(8, 1, (start, end) -> {
                if (start == 0) {
                    throw new IllegalStateException("chunk 0 fails");
                }
            })).isInstanceOf(IllegalStateException.class).hasMessage("chunk 0 fails");
            p.forRange(8, 1, counts, Counts::cover);
        }
        for (int i = 0; i < 8; i++) {
            assertThat(counts.hits.get(i)).as("index %d after the failed call", i).isEqualTo(1);
        }
    }

    @Test
    @Timeout(60)
    void aCallFromInsideABodyCoversEachIndexOnce() {
        int outer = 8;
        int inner = 16;
        int calls = 500;
        Counts counts = new Counts(outer * inner);
        try (Parallel p = new Parallel(3)) {
            for (int call = 0; call < calls; call++) {
                p.forRange(outer, 1, (start, end) -> {
                    for (int o = start; o < end; o++) {
                        int base = o * inner;
                        p.forRange(inner, 1, (s, e) -> counts.cover(base + s, base + e));
                    }
                });
            }
            assertThatThrownBy(() -> p.forRange(outer, 1, (start, end) -> p.forRange(inner, 1, (s, e) -> {
                if (start == 0 && s == 0) {
                    throw new IllegalStateException("inner chunk 0 fails");
                }
            }))).isInstanceOf(IllegalStateException.class).hasMessageContaining("inner chunk 0 fails");
        }
        for (int i = 0; i < outer * inner; i++) {
            assertThat(counts.hits.get(i)).as("calls that covered index %d", i).isEqualTo(calls);
        }
    }

    @Test
    @Timeout(60)
    void anInterruptedCallerWaitsForEveryChunkAndKeepsItsInterrupt() {
        int n = 12;
        Counts counts = new Counts(n);
        try (Parallel p = new Parallel(2)) {
            Thread.currentThread().interrupt();
            p.forRange(n, 1, counts, (c, start, end) -> {
                try {
                    Thread.sleep(5);   // the chunks finish after the caller would have returned from park
                } catch (InterruptedException e) {
                    throw new AssertionError("a worker was interrupted", e);
                }
                c.cover(start, end);
            });
            boolean interrupted = Thread.interrupted();
            for (int i = 0; i < n; i++) {
                assertThat(counts.hits.get(i)).as("index %d when the call returned", i).isEqualTo(1);
            }
            assertThat(interrupted).as("the caller's interrupt flag after the call").isTrue();
        }
    }

    @Test
    @Timeout(60)
    void aSecondCallingThreadIsRefusedWhileACallRunsAndTheFirstCallCompletes() throws Exception {
        int n = 8;
        Counts counts = new Counts(n);
        CountDownLatch inside = new CountDownLatch(1);
        CountDownLatch release = new CountDownLatch(1);
        try (Parallel p = new Parallel(2)) {
            Thread first = new Thread(() -> p.forRange(n, 1, counts, (c, start, end) -> {
                inside.countDown();
                try {
                    release.await();
                } catch (InterruptedException e) {
                    throw new AssertionError(e);
                }
                c.cover(start, end);
            }), "first caller");
            first.start();
            inside.await();
            assertThatThrownBy(() -> p.forRange(n, 1, counts, Counts::cover))
                    .isInstanceOf(IllegalStateException.class)
                    .hasMessageContaining("first caller").hasMessageContaining("one calling thread at a time");
            release.countDown();
            first.join();
            for (int i = 0; i < n; i++) {
                assertThat(counts.hits.get(i)).as("index %d after the first call", i).isEqualTo(1);
            }
            p.forRange(n, 1, counts, Counts::cover);   // free again once the first call returned
            for (int i = 0; i < n; i++) {
                assertThat(counts.hits.get(i)).as("index %d after a second call", i).isEqualTo(2);
            }
        }
    }
}
