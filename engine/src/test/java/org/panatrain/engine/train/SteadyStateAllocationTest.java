// After warm-up a CPU training step (zeroGrad, forward/backward, clip, AdamW) stays within a
// stated allocation bound on the Java heap. SteadyStateAllocationMain measures it in a fresh JVM:
// in this one the kernels have been compiled for other tests' shapes, and a vector kernel the JIT
// compiled without its intrinsics allocates a box per vector op (18 MB a step measured here).
// Not zero yet: see CALLER_BYTES_PER_STEP.
package org.panatrain.engine.train;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.panatrain.engine.checkpoint.ChildJvm;

class SteadyStateAllocationTest {
    /**
     * Bytes per step the calling thread may allocate (measured: 13.3 KB, about 10.6 KB of it in
     * forward/backward, 2.4 KB in the AdamW step): the capturing lambdas and small argument
     * objects (CpuMatmul.Product and its MatmulPackings, attention Dims, AdamWStep) that the CPU
     * kernel calls of a step make. The Parallel pool's tasks are reused, not made.
     */
    static final long CALLER_BYTES_PER_STEP = 16 * 1024;
    /**
     * Bytes per step all threads together may allocate: a loose bound that catches the unwarmed
     * step (36 MB) but not worse JIT luck. Measured: 13.1 to 13.5 KB in four runs (the workers adding ~20
     * bytes a step, ForkJoinPool join bookkeeping), but 2.4 to 5.3 MB in three others, where a
     * worker kept running a vector kernel (by JFR, likely CpuReductions' sum of squares) as
     * compiled without the Vector API's intrinsics: one box per vector op.
     */
    static final long ALL_THREADS_BYTES_PER_STEP = 8L << 20;

    @TempDir
    Path dir;

    @Test
    void aWarmTrainingStepStaysWithinTheStatedHeapAllocation() throws Exception {
        Path result = dir.resolve("allocation.txt");
        Process child = ChildJvm.start(SteadyStateAllocationMain.class, List.of(), result.toString());
        assertThat(child.waitFor()).as("exit status of the measuring JVM").isZero();
        String[] numbers = Files.readString(result).split(" ");
        int warmup = Integer.parseInt(numbers[0]);
        long caller = Long.parseLong(numbers[1]);
        long all = Long.parseLong(numbers[2]);
        int steps = SteadyStateAllocationMain.MEASURED_STEPS;
        System.err.printf("heap allocated per warm step (after %d warm-up steps, over %d): calling thread %d bytes,"
                + " all threads %d bytes%n", warmup, steps, caller / steps, all / steps);
        assertThat(caller).as("bytes the calling thread allocated in %d steps", steps)
                .isLessThanOrEqualTo(CALLER_BYTES_PER_STEP * steps);
        assertThat(all).as("bytes all threads allocated in %d steps", steps)
                .isLessThanOrEqualTo(ALL_THREADS_BYTES_PER_STEP * steps);
    }
}
