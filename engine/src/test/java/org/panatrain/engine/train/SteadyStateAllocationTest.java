// After warm-up a CPU training step (zeroGrad, forward/backward of each micro-batch, clip, the
// optimizer's update) allocates nothing on the calling thread's Java heap, with each optimizer
// and with gradient accumulation; the backend's worker threads stay within a loose bound. SteadyStateAllocationMain measures it in a fresh JVM: in this one
// the kernels have been compiled for other tests' shapes, and a vector kernel the JIT compiled
// without its intrinsics allocates a box per vector op (18 MB a step measured here).
package org.panatrain.engine.train;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.FieldSource;
import org.panatrain.engine.checkpoint.ChildJvm;

class SteadyStateAllocationTest {
    /**
     * Bytes per step the calling thread may allocate: none. A warm step allocates nothing: 0 bytes
     * over 50 steps, with every optimizer and with 2 micro-batches a step (measured 0 in every
     * configuration; before the CPU kernels handed reused operand objects to their threads it was
     * 13.3 KB, capturing lambdas, records and ForkJoin wait nodes). The JIT's own rare allocations
     * right after warm-up are waited out: see SteadyStateAllocationMain's windows.
     */
    static final long CALLER_BYTES_PER_STEP = 0;
    /**
     * Bytes per step the other threads (the backend's workers) may allocate: a loose bound that
     * catches the unwarmed step (36 MB) but not JIT luck. Measured: 0 in some runs; in others
     * exactly 2.25 MiB per micro-batch's forward/backward, every step, in every configuration of
     * the run: a worker running a vector kernel as compiled without the Vector API's intrinsics,
     * which boxes every vector (not found: it did not happen under JFR, which changes what the JIT
     * does). Found by JFR and removed: MatmulPacking's masked loads compiled without their
     * intrinsic (2.4 to 33 MB a step), and a branch in packB's partial-column loop that made C2
     * recompile packB over and over for hundreds of steps (1.4 MB a step meanwhile).
     */
    static final long OTHER_THREADS_BYTES_PER_STEP = 8L << 20;

    static final List<String> CONFIGURATIONS = List.of(SteadyStateAllocationMain.CONFIGURATIONS);

    /** {warmup, caller, others, windows} by configuration ("adamw 1"), from one child JVM for all of them. */
    private static final Map<String, long[]> MEASURED = new HashMap<>();

    @BeforeAll
    static void measureInAFreshJvm(@TempDir Path dir) throws Exception {
        Path result = dir.resolve("allocation.txt");
        Process child = ChildJvm.start(SteadyStateAllocationMain.class, List.of(), result.toString());
        assertThat(child.waitFor()).as("exit status of the measuring JVM").isZero();
        for (String line : Files.readAllLines(result)) {
            String[] f = line.split(" ");
            MEASURED.put(f[0] + " " + f[1], new long[] {Long.parseLong(f[2]), Long.parseLong(f[3]), Long.parseLong(f[4]),
                Long.parseLong(f[5])});
        }
    }

    @ParameterizedTest(name = "optimizer, accumulation: {0}")
    @FieldSource("CONFIGURATIONS")
    void aWarmTrainingStepAllocatesNothingOnTheCallingThread(String configuration) {
        long[] m = MEASURED.get(configuration);
        assertThat(m).as("measurement of %s", configuration).isNotNull();
        int steps = SteadyStateAllocationMain.MEASURED_STEPS;
        System.err.printf("%s: heap allocated over %d warm steps (after %d warm-up steps, window %d): calling thread %d bytes,"
                + " other threads %d bytes%n", configuration, steps, m[0], m[3], m[1], m[2]);
        assertThat(m[1]).as("bytes the calling thread allocated in %d steps (%s)", steps, configuration)
                .isLessThanOrEqualTo(CALLER_BYTES_PER_STEP * steps);
        assertThat(m[2]).as("bytes the other threads allocated in %d steps (%s)", steps, configuration)
                .isLessThanOrEqualTo(OTHER_THREADS_BYTES_PER_STEP * steps);
    }
}
