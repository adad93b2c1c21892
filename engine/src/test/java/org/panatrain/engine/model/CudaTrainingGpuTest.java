// GPT-2 training on the CUDA backend against the CPU backend, the reference: 50 FP32 steps of
// gpt2-tiny from the same seed on the same batches give losses within 1e-3 of each other at every
// step, and two runs on the GPU give identical losses (every CUDA kernel is deterministic). Leaves
// out mixed precision (its own tests) and speed (the GPU check script's benchmarks).
package org.panatrain.engine.model;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.util.function.Supplier;
import org.assertj.core.data.Offset;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.panatrain.bindings.Cuda;
import org.panatrain.engine.optim.AdamW;
import org.panatrain.engine.optim.AdamWConfig;
import org.panatrain.engine.optim.LrSchedule;
import org.panatrain.kernels.Kernels;
import org.panatrain.kernels.cpu.CpuKernels;
import org.panatrain.kernels.cuda.CudaKernels;

@Tag("gpu")
class CudaTrainingGpuTest {
    private static final int STEPS = 50;
    private static final int B = 4;
    private static final int T = 64;
    private static final long SEED = 1337;

    @Test
    void fiftyStepsOfGpt2TinyTrackTheCpuAndRepeatExactly() {
        Cuda.Availability a = Cuda.availability();
        assumeTrue(a.available(), "CUDA is not available: " + a.reason());
        float[] cpu = run(CpuKernels::create);
        float[] gpu = run(() -> CudaKernels.create(0));
        float[] again = run(() -> CudaKernels.create(0));
        for (int s = 0; s < STEPS; s++) {
            assertThat(gpu[s]).as("loss at step %d, CUDA vs CPU", s).isCloseTo(cpu[s], Offset.offset(1e-3f));
        }
        assertThat(again).as("a second CUDA run of the same seed").isEqualTo(gpu);
        assertThat(gpu[STEPS - 1]).as("the model learns the pattern").isLessThan(gpu[0] / 2);
    }

    /** Per-step losses of a run on the backend {@code open} makes. */
    private static float[] run(Supplier<Kernels> open) {
        Gpt2Config cfg = Gpt2Config.named("gpt2-tiny");
        LrSchedule schedule = new LrSchedule(3e-3f, 3e-4f, 5, STEPS);
        float[] losses = new float[STEPS];
        try (Kernels k = open.get(); Gpt2 model = Gpt2.create(cfg, k, SEED);
             Gpt2Step step = model.newStep(B, T); AdamW opt = new AdamW(model, AdamWConfig.defaults())) {
            for (int s = 0; s < STEPS; s++) {
                int[] inputs = new int[B * T];
                int[] targets = new int[B * T];
                for (int i = 0; i < B * T; i++) {   // a learnable sequence: the next token is a fixed function of the position
                    inputs[i] = (7 * (i + s) + 3) % 61;
                    targets[i] = (7 * (i + s + 1) + 3) % 61;
                }
                opt.zeroGrad();
                losses[s] = step.forwardBackward(inputs, targets, 1f);
                opt.clipGradNorm(1f);
                opt.step(schedule.at(s));
            }
        }
        return losses;
    }
}
