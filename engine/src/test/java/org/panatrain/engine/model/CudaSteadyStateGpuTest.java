// A warm CUDA training step of gpt2-tiny (zeroGrad, forward/backward of each micro-batch, clip at
// 1, the optimizer's update, the loss and grad-norm downloads) allocates nothing, with every
// optimizer, with 2 micro-batches a step, with dropout, and with the loader staging its batches on
// the device: no device arena (DeviceArena.allocationCount), the device's free memory (cuMemGetInfo)
// unchanged, and not one byte on the calling thread's Java heap (ThreadMXBean). Why 0 bytes is
// expected: the CUDA backend sizes launches as ints on one reused launch builder and argument
// block, passes partial sums as raw scratch addresses, keeps the attention's head views and one
// shape object, looks cuBLASLt plans up with one reused key, builds every driver error message
// only on failure, and walks lists by index; the engine's step, optimizers and clip are the ones
// SteadyStateAllocationTest holds to 0 bytes on the CPU. Like that test it waits out the JIT's own
// rare allocations right after warm-up (windows of 50 steps, until one is clean or MAX_WINDOWS);
// an allocation of the step itself shows in every window. It runs in the test JVM, not a fresh
// one: no Vector API code is on this path. Leaves out the loader thread's own allocations (it is
// another thread), mixed precision and FP8.
package org.panatrain.engine.model;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.lang.management.ManagementFactory;
import java.nio.file.Path;
import java.util.List;
import java.util.Random;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.FieldSource;
import org.panatrain.bindings.Cuda;
import org.panatrain.engine.data.ShardLoader;
import org.panatrain.engine.graph.RecomputePolicy;
import org.panatrain.engine.graph.Scheduler;
import org.panatrain.engine.io.TokenShard;
import org.panatrain.engine.optim.Optimizer;
import org.panatrain.engine.optim.OptimizerKind;
import org.panatrain.kernels.cuda.CudaKernels;
import org.panatrain.memory.DeviceArena;

@Tag("gpu")
class CudaSteadyStateGpuTest {
    /** Heap bytes per warm step the calling thread may allocate: none (see the file comment for why). */
    static final long CALLER_BYTES_PER_STEP = 0;
    /** Steps before the device is measured: the first grows the scratch arena and makes the plans, as every later one needs. */
    private static final int FIRST_STEPS = 5;
    private static final int MEASURED_STEPS = 50;
    private static final int MAX_WARMUP_STEPS = 2000;
    private static final int MAX_WINDOWS = 10;
    private static final int B = 4;
    private static final int T = 64;
    private static final Gpt2Config MODEL = Gpt2Config.named("gpt2-tiny");
    private static final com.sun.management.ThreadMXBean THREADS =
            (com.sun.management.ThreadMXBean) ManagementFactory.getThreadMXBean();

    /** "optimizer variant": every optimizer, then AdamW with 2 micro-batches, with dropout 0.1, fed by the staging loader. */
    static final List<String> CONFIGURATIONS = List.of("adamw plain", "lion plain", "adafactor plain", "adamw8bit plain",
            "adamw accumulate", "adamw dropout", "adamw staged");

    @TempDir
    Path dir;

    /** One configuration's step: its optimizer, micro-batches and where the tokens come from. */
    private record Run(Gpt2Step step, Optimizer optimizer, int accumulation, ShardLoader loader, int[] inputs,
                       int[] targets) {
        /** One optimizer step of the trainer: zero, accumulate the micro-batches, clip at 1, update. */
        void trainingStep(long seed) {
            optimizer.zeroGrad();
            step.dropoutSeed(seed);
            for (int micro = 0; micro < accumulation; micro++) {
                if (loader != null) {
                    loader.next(step.inputTokens(), step.targetTokens());
                    step.forwardBackward(1f / accumulation);           // the loss download waits for the step
                } else {
                    step.forwardBackward(inputs, targets, 1f / accumulation);
                }
            }
            optimizer.clipGradNorm(1f);                                  // the grad-norm download
            optimizer.step(3e-4f);
        }

        /** Heap bytes the calling thread allocated in {@code steps} steps. */
        long allocatedBy(int steps, long firstSeed) {
            long before = THREADS.getCurrentThreadAllocatedBytes();
            for (int s = 0; s < steps; s++) {
                trainingStep(firstSeed + s);
            }
            return THREADS.getCurrentThreadAllocatedBytes() - before;
        }
    }

    @ParameterizedTest(name = "{0}")
    @FieldSource("CONFIGURATIONS")
    void aWarmCudaStepAllocatesNothingOnTheDeviceOrTheJavaHeap(String configuration) {
        Cuda.Availability a = Cuda.availability();
        assumeTrue(a.available(), "CUDA is not available: " + a.reason());
        String[] parts = configuration.split(" ");
        String variant = parts[1];
        Random random = new Random(5);
        int[] inputs = random.ints(B * T, 0, MODEL.vocabSize()).toArray();
        int[] targets = random.ints(B * T, 0, MODEL.vocabSize()).toArray();
        Path shardFile = dir.resolve("train.bin");
        if (variant.equals("staged")) {
            TokenShard.write(shardFile, random.ints(10 * B * T + 1, 0, MODEL.vocabSize()).toArray());
        }
        float dropout = variant.equals("dropout") ? 0.1f : 0f;
        try (CudaKernels k = CudaKernels.create(0); Gpt2 model = Gpt2.create(MODEL, k, 1337);
             Gpt2Step step = model.newStep(B, T, Scheduler.uniform(RecomputePolicy.NONE, MODEL.nLayer()), dropout);
             Optimizer optimizer = OptimizerKind.parse(parts[0]).create(model, 0.1f);
             TokenShard shard = variant.equals("staged") ? TokenShard.open(shardFile, MODEL.vocabSize()) : null;
             ShardLoader loader = shard == null ? null : ShardLoader.over(List.of(shard), B, T, 7, 0, 1, k)) {
            if (loader != null) {
                assertThat(loader.stagesOnDevice()).as("the loader stages its batches on the device").isTrue();
            }
            Run run = new Run(step, optimizer, variant.equals("accumulate") ? 2 : 1, loader, inputs, targets);
            long seed = 0;
            for (; seed < FIRST_STEPS; seed++) {
                run.trainingStep(seed);   // the first step grows the kernels' scratch arena and makes the matmul plans
            }
            long arenas = DeviceArena.allocationCount();
            long free = DeviceArena.freeDeviceBytes();
            int warmup = FIRST_STEPS;
            long recent = Long.MAX_VALUE;
            // until 10 steps in a row allocate within the bound (the JIT has compiled the launch path)
            while (recent > CALLER_BYTES_PER_STEP * 10 && warmup < MAX_WARMUP_STEPS) {
                recent = run.allocatedBy(10, seed);
                seed += 10;
                warmup += 10;
            }
            long window = Long.MAX_VALUE;
            int windows = 0;
            while (window > CALLER_BYTES_PER_STEP * MEASURED_STEPS && windows < MAX_WINDOWS) {
                window = run.allocatedBy(MEASURED_STEPS, seed);
                seed += MEASURED_STEPS;
                windows++;
            }
            System.err.printf("CUDA step, %s: %d device arenas allocated after warm-up, free device memory %d -> %d bytes;"
                    + " calling thread's Java heap %d bytes in %d warm steps (after %d warm-up steps, window %d)%n",
                    configuration, DeviceArena.allocationCount() - arenas, free, DeviceArena.freeDeviceBytes(), window,
                    MEASURED_STEPS, warmup, windows);
            assertThat(DeviceArena.allocationCount()).as("device arenas allocated by warm steps (%s)", configuration)
                    .isEqualTo(arenas);
            assertThat(DeviceArena.freeDeviceBytes()).as("free device memory after warm steps (%s)", configuration)
                    .isEqualTo(free);
            assertThat(window).as("heap bytes the calling thread allocated in %d warm steps (%s)", MEASURED_STEPS,
                    configuration).isLessThanOrEqualTo(CALLER_BYTES_PER_STEP * MEASURED_STEPS);
        }
    }
}
