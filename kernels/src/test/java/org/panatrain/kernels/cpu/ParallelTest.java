// Parallel's reused tasks: many calls in a row each cover every index exactly once (a task
// resubmitted while the pool still finishes its last run would be skipped and hang the call), and
// a body's exception reaches the caller and leaves the pool usable. That a warm call allocates
// nothing is measured end to end by the engine's SteadyStateAllocationTest.
package org.panatrain.kernels.cpu;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

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
}
