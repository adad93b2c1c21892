// The measurement SteadyStateAllocationTest runs in a fresh JVM: warm up a CPU training step of
// the built-in task's model until the JIT has compiled it, then count the heap bytes 50 steps
// allocate (com.sun.management.ThreadMXBean), on the calling thread and on all threads, and write
// "warmup caller all" to the file named by the first argument.
package org.panatrain.engine.train;

import java.lang.management.ManagementFactory;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.Map;
import java.util.Random;
import org.panatrain.engine.model.Gpt2;
import org.panatrain.engine.model.Gpt2Step;
import org.panatrain.engine.optim.AdamW;
import org.panatrain.engine.optim.AdamWConfig;
import org.panatrain.kernels.Kernels;
import org.panatrain.kernels.cpu.CpuKernels;

public final class SteadyStateAllocationMain {
    static final int B = 4;
    static final int T = 32;
    static final int MEASURED_STEPS = 50;
    private static final int MAX_WARMUP_STEPS = 1000;
    private static final com.sun.management.ThreadMXBean THREADS =
            (com.sun.management.ThreadMXBean) ManagementFactory.getThreadMXBean();

    private SteadyStateAllocationMain() {
    }

    public static void main(String[] args) throws Exception {
        Random random = new Random(5);
        int V = ArithmeticTask.MODEL.vocabSize();
        int[] inputs = random.ints(B * T, 0, V).toArray();
        int[] targets = random.ints(B * T, 0, V).toArray();
        try (Kernels kernels = CpuKernels.create(2);
             Gpt2 model = Gpt2.create(ArithmeticTask.MODEL, kernels, 1);
             Gpt2Step step = model.newStep(B, T);
             AdamW optimizer = new AdamW(model, AdamWConfig.defaults())) {
            int warmup = 0;
            long recent = Long.MAX_VALUE;
            // until 10 steps fit the caller's bound
            while (recent > 10 * SteadyStateAllocationTest.CALLER_BYTES_PER_STEP && warmup < MAX_WARMUP_STEPS) {
                long start = THREADS.getCurrentThreadAllocatedBytes();
                for (int s = 0; s < 10; s++) {
                    trainingStep(step, optimizer, inputs, targets);
                }
                recent = THREADS.getCurrentThreadAllocatedBytes() - start;
                warmup += 10;
            }
            Map<Long, Long> before = allThreads();
            long callerBefore = THREADS.getCurrentThreadAllocatedBytes();
            for (int s = 0; s < MEASURED_STEPS; s++) {
                trainingStep(step, optimizer, inputs, targets);
            }
            long caller = THREADS.getCurrentThreadAllocatedBytes() - callerBefore;
            long all = allocatedSince(before);
            Files.writeString(Path.of(args[0]), warmup + " " + caller + " " + all);
        }
    }

    private static void trainingStep(Gpt2Step step, AdamW optimizer, int[] inputs, int[] targets) {
        optimizer.zeroGrad();
        step.forwardBackward(inputs, targets, 1f);
        optimizer.clipGradNorm(1f);
        optimizer.step(1e-3f);
    }

    /** Allocated bytes of every live thread, by thread id. */
    private static Map<Long, Long> allThreads() {
        long[] ids = THREADS.getAllThreadIds();
        long[] bytes = THREADS.getThreadAllocatedBytes(ids);
        Map<Long, Long> m = new HashMap<>();
        for (int i = 0; i < ids.length; i++) {
            m.put(ids[i], bytes[i]);
        }
        return m;
    }

    /** Bytes allocated since {@code before} by the threads alive now (a thread started since counts whole). */
    private static long allocatedSince(Map<Long, Long> before) {
        long[] ids = THREADS.getAllThreadIds();
        long[] bytes = THREADS.getThreadAllocatedBytes(ids);
        long sum = 0;
        for (int i = 0; i < ids.length; i++) {
            if (bytes[i] >= 0) {
                sum += bytes[i] - before.getOrDefault(ids[i], 0L);
            }
        }
        return sum;
    }
}
