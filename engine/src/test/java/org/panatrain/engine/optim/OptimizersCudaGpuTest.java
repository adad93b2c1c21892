// Lion, Adafactor and AdamW8bit on the CUDA backend against the CPU backend, the reference (whose
// own tests compare it with float64 math): the same model, values and gradients, five steps each
// (step 3's large gradients make Adafactor's RMS clip act), then every weight and every FP32 state
// tensor compared. The CUDA sums run in FP32 and nvcc fuses multiply-adds, so the bars allow
// rounding: 1e-4 of the displacement for Lion and Adafactor; 5e-2 for AdamW8bit, where a moment
// on a code boundary may round to the neighbouring code on one backend and not the other. Leaves
// out the INT8 codes themselves (their absmax is compared) and speed.
package org.panatrain.engine.optim;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.panatrain.bindings.Cuda;
import org.panatrain.engine.model.Gpt2;
import org.panatrain.engine.model.Parameter;
import org.panatrain.engine.model.TestTensors;
import org.panatrain.kernels.Kernels;
import org.panatrain.kernels.cpu.CpuKernels;
import org.panatrain.kernels.cuda.CudaKernels;
import org.panatrain.memory.DType;
import org.panatrain.memory.Tensor;

@Tag("gpu")
class OptimizersCudaGpuTest {
    private static final float[] LRS = {1e-2f, 8e-3f, 6e-3f, 4e-3f, 2e-3f};
    private static final float[] GRAD_SCALES = {1f, 0.5f, 4f, 1f, 0.1f};

    @Test
    void lionOnCudaTracksTheCpuBackend() {
        compare(OptimizerKind.LION, 1e-4, 1e-5);
    }

    @Test
    void adafactorOnCudaTracksTheCpuBackend() {
        compare(OptimizerKind.ADAFACTOR, 1e-4, 1e-5);
    }

    @Test
    void adamW8bitOnCudaTracksTheCpuBackend() {
        compare(OptimizerKind.ADAMW8BIT, 5e-2, 5e-2);
    }

    private static void compare(OptimizerKind kind, double weightBar, double stateBar) {
        Cuda.Availability a = Cuda.availability();
        assumeTrue(a.available(), "CUDA is not available: " + a.reason());
        try (Kernels cpu = CpuKernels.create(1); CudaKernels gpu = CudaKernels.create(0);
             Gpt2 cpuModel = Gpt2.create(OptimizerRuns.SMALL, cpu, 1); Gpt2 gpuModel = Gpt2.create(OptimizerRuns.SMALL, gpu, 1);
             Optimizer cpuOpt = kind.create(cpuModel, 0.1f); Optimizer gpuOpt = kind.create(gpuModel, 0.1f)) {
            OptimizerRuns.Run run = OptimizerRuns.run(cpu, cpuOpt, 17, LRS, GRAD_SCALES);
            OptimizerRuns.run(gpu, gpuOpt, 17, LRS, GRAD_SCALES); // same seed: the same values and gradients
            List<Parameter> cpuParams = cpuModel.parameters();
            List<Parameter> gpuParams = gpuModel.parameters();
            for (int i = 0; i < cpuParams.size(); i++) {
                String name = cpuParams.get(i).name();
                float[] initial = run.initial().get(name);
                float[] onCpu = TestTensors.read(cpu, cpuParams.get(i).value());
                double[] want = OptimizerRuns.toDouble(onCpu);
                assertThat(OptimizerRuns.displacementError(gpu, gpuParams.get(i), initial, want))
                        .as("%s %s: CUDA vs CPU, relative to the displacement", kind.cliName(), name)
                        .isLessThanOrEqualTo(weightBar);
            }
            Map<String, Tensor> gpuState = gpuOpt.stateTensors();
            for (Map.Entry<String, Tensor> e : cpuOpt.stateTensors().entrySet()) {
                if (e.getValue().dtype() != DType.FP32) {
                    continue;
                }
                float[] want = TestTensors.read(cpu, e.getValue());
                float[] got = TestTensors.read(gpu, gpuState.get(e.getKey()));
                assertThat(TestTensors.relativeError(got, want)).as("%s state %s", kind.cliName(), e.getKey())
                        .isLessThanOrEqualTo(stateBar);
            }
        }
    }
}
