// "Nothing on the device" for a warm CUDA training step: after warm-up (the kernels' scratch
// arena grows to the step's largest request on first use), 50 steps of gpt2-tiny with clipping
// and AdamW allocate no device arena (DeviceArena.allocationCount) and leave the device's free
// memory (cuMemGetInfo) where it was. Also prints the calling thread's Java heap bytes per CUDA
// step, which is not bounded here (kernel launches box their arguments). Leaves out the CPU
// backend's heap bound (SteadyStateAllocationTest) and mixed precision.
package org.panatrain.engine.model;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.lang.management.ManagementFactory;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.panatrain.bindings.Cuda;
import org.panatrain.engine.optim.AdamW;
import org.panatrain.engine.optim.AdamWConfig;
import org.panatrain.kernels.cuda.CudaKernels;
import org.panatrain.memory.DeviceArena;

@Tag("gpu")
class CudaSteadyStateGpuTest {
    private static final int WARMUP_STEPS = 5;
    private static final int MEASURED_STEPS = 50;
    private static final int B = 4;
    private static final int T = 64;

    @Test
    void aWarmCudaStepAllocatesNothingOnTheDevice() {
        Cuda.Availability a = Cuda.availability();
        assumeTrue(a.available(), "CUDA is not available: " + a.reason());
        com.sun.management.ThreadMXBean threads = (com.sun.management.ThreadMXBean) ManagementFactory.getThreadMXBean();
        int[] inputs = new int[B * T];
        int[] targets = new int[B * T];
        for (int i = 0; i < B * T; i++) {
            inputs[i] = (7 * i + 3) % 61;
            targets[i] = (7 * (i + 1) + 3) % 61;
        }
        try (CudaKernels k = CudaKernels.create(0); Gpt2 model = Gpt2.create(Gpt2Config.named("gpt2-tiny"), k, 1337);
             Gpt2Step step = model.newStep(B, T); AdamW opt = new AdamW(model, AdamWConfig.defaults())) {
            for (int s = 0; s < WARMUP_STEPS; s++) {
                trainingStep(step, opt, inputs, targets);
            }
            long arenas = DeviceArena.allocationCount();
            long free = DeviceArena.freeDeviceBytes();
            long heap = threads.getCurrentThreadAllocatedBytes();
            for (int s = 0; s < MEASURED_STEPS; s++) {
                trainingStep(step, opt, inputs, targets);   // the loss download waits for the step
            }
            heap = threads.getCurrentThreadAllocatedBytes() - heap;
            System.err.printf("CUDA step: %d device arenas allocated in %d warm steps, free device memory %d -> %d"
                    + " bytes; calling thread's Java heap %d bytes a step%n", DeviceArena.allocationCount() - arenas,
                    MEASURED_STEPS, free, DeviceArena.freeDeviceBytes(), heap / MEASURED_STEPS);
            assertThat(DeviceArena.allocationCount()).as("device arenas allocated by %d warm steps", MEASURED_STEPS)
                    .isEqualTo(arenas);
            assertThat(DeviceArena.freeDeviceBytes()).as("free device memory after %d warm steps", MEASURED_STEPS)
                    .isEqualTo(free);
        }
    }

    private static void trainingStep(Gpt2Step step, AdamW opt, int[] inputs, int[] targets) {
        opt.zeroGrad();
        step.forwardBackward(inputs, targets, 1f);
        opt.clipGradNorm(1f);
        opt.step(3e-4f);
    }
}
