// The measurement SteadyStateAllocationTest runs in a fresh JVM: for each configuration (an
// optimizer and a gradient accumulation), warm up a CPU training step of the built-in task's
// model until the JIT has compiled it, then count the heap bytes 50 steps allocate
// (com.sun.management.ThreadMXBean), on the calling thread and on the other threads (the
// backend's workers), in up to MAX_WINDOWS windows of 50 steps until one fits the test's bounds,
// and write one line "optimizer accumulation warmup caller others windows" (the last window's
// bytes) per configuration to the file named by the first argument. Why windows: for a few
// hundred steps after warm-up the JIT still allocates now and then (measured on the calling
// thread: 56 to 616 bytes in some 10-step windows, by JFR Strings and byte arrays attributed to
// compiled frames of Executor.run and Lion.step: a newly compiled method resolving its constants,
// a deoptimization rematerializing objects it had eliminated); an allocation the step itself
// makes shows in every window. All configurations run in this one JVM, one after the other, so that the
// test pays for one JVM start and one JIT warm-up of the shared kernels.
package org.panatrain.engine.train;

import java.lang.management.ManagementFactory;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.Map;
import java.util.Random;
import org.panatrain.engine.model.Gpt2;
import org.panatrain.engine.model.Gpt2Step;
import org.panatrain.engine.optim.Optimizer;
import org.panatrain.engine.optim.OptimizerKind;
import org.panatrain.kernels.Kernels;
import org.panatrain.kernels.cpu.CpuKernels;

public final class SteadyStateAllocationMain {
    static final int B = 4;
    static final int T = 32;
    static final int MEASURED_STEPS = 50;
    /** The configurations measured: every optimizer without accumulation, and AdamW with 2 micro-batches a step. */
    static final String[] CONFIGURATIONS = {"adamw 1", "lion 1", "adafactor 1", "adamw8bit 1", "adamw 2"};
    private static final int MAX_WARMUP_STEPS = 1000;
    static final int MAX_WINDOWS = 10;
    private static final com.sun.management.ThreadMXBean THREADS =
            (com.sun.management.ThreadMXBean) ManagementFactory.getThreadMXBean();

    private SteadyStateAllocationMain() {
    }

    public static void main(String[] args) throws Exception {
        Random random = new Random(5);
        int V = ArithmeticTask.MODEL.vocabSize();
        int[] inputs = random.ints(B * T, 0, V).toArray();
        int[] targets = random.ints(B * T, 0, V).toArray();
        StringBuilder out = new StringBuilder();
        try (Kernels kernels = CpuKernels.create(2)) {
            for (String configuration : CONFIGURATIONS) {
                String[] parts = configuration.split(" ");
                int accumulation = Integer.parseInt(parts[1]);
                try (Gpt2 model = Gpt2.create(ArithmeticTask.MODEL, kernels, 1);
                     Gpt2Step step = model.newStep(B, T);
                     Optimizer optimizer = OptimizerKind.parse(parts[0]).create(model, 0.1f)) {
                    out.append(configuration).append(' ')
                            .append(measure(step, optimizer, inputs, targets, accumulation)).append('\n');
                }
            }
        }
        Files.writeString(Path.of(args[0]), out);
    }

    /**
     * "warmup caller others windows": warm-up steps taken, the bytes the calling thread and all
     * other threads (the backend's workers) allocated in the last window of 50 steps, and the
     * number of windows run.
     */
    private static String measure(Gpt2Step step, Optimizer optimizer, int[] inputs, int[] targets, int accumulation) {
        int warmup = 0;
        long[] recent = {Long.MAX_VALUE, Long.MAX_VALUE};
        // until 10 steps in a row fit the bounds on every thread (the workers run code of their own to compile)
        while (!fits(recent, 10) && warmup < MAX_WARMUP_STEPS) {
            recent = allocatedBy(10, step, optimizer, inputs, targets, accumulation);
            warmup += 10;
        }
        long[] window = {Long.MAX_VALUE, Long.MAX_VALUE};
        int windows = 0;
        while (!fits(window, MEASURED_STEPS) && windows < MAX_WINDOWS) {
            window = allocatedBy(MEASURED_STEPS, step, optimizer, inputs, targets, accumulation);
            windows++;
        }
        return warmup + " " + window[0] + " " + window[1] + " " + windows;
    }

    private static boolean fits(long[] callerAndOthers, int steps) {
        return callerAndOthers[0] <= SteadyStateAllocationTest.CALLER_BYTES_PER_STEP * steps
                && callerAndOthers[1] <= SteadyStateAllocationTest.OTHER_THREADS_BYTES_PER_STEP * steps;
    }

    /** {caller, others}: heap bytes the calling thread and the other live threads allocated in {@code steps} steps. */
    private static long[] allocatedBy(int steps, Gpt2Step step, Optimizer optimizer, int[] inputs, int[] targets,
                                      int accumulation) {
        Map<Long, Long> before = otherThreads();
        long callerBefore = THREADS.getCurrentThreadAllocatedBytes();
        for (int s = 0; s < steps; s++) {
            trainingStep(step, optimizer, inputs, targets, accumulation);
        }
        long caller = THREADS.getCurrentThreadAllocatedBytes() - callerBefore;
        return new long[] {caller, allocatedSince(before)};
    }

    /** One optimizer step of the trainer: zero, accumulate the micro-batches, clip at 1, update. */
    private static void trainingStep(Gpt2Step step, Optimizer optimizer, int[] inputs, int[] targets, int accumulation) {
        optimizer.zeroGrad();
        for (int micro = 0; micro < accumulation; micro++) {
            step.forwardBackward(inputs, targets, 1f / accumulation);
        }
        optimizer.clipGradNorm(1f);
        optimizer.step(1e-3f);
    }

    /** Allocated bytes of every live thread but this one, by thread id. */
    private static Map<Long, Long> otherThreads() {
        long[] ids = THREADS.getAllThreadIds();
        long[] bytes = THREADS.getThreadAllocatedBytes(ids);
        Map<Long, Long> m = new HashMap<>();
        for (int i = 0; i < ids.length; i++) {
            if (ids[i] != Thread.currentThread().threadId()) {
                m.put(ids[i], bytes[i]);
            }
        }
        return m;
    }

    /** Bytes allocated since {@code before} by the other threads alive now (a thread started since counts whole). */
    private static long allocatedSince(Map<Long, Long> before) {
        long[] ids = THREADS.getAllThreadIds();
        long[] bytes = THREADS.getThreadAllocatedBytes(ids);
        long sum = 0;
        for (int i = 0; i < ids.length; i++) {
            if (bytes[i] >= 0 && ids[i] != Thread.currentThread().threadId()) {
                sum += bytes[i] - before.getOrDefault(ids[i], 0L);
            }
        }
        return sum;
    }
}
