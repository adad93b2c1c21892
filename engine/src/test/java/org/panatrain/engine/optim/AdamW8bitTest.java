// AdamW8bit tracks AdamW computed here in float64 (PyTorch's update) within the error that 8-bit
// block-wise moments allow, and its state is 2 bytes a parameter plus one FP32 absmax per block
// of each moment; its codes start at the code of zero on a multi-threaded backend too.
package org.panatrain.engine.optim;

import static org.assertj.core.api.Assertions.assertThat;

import java.lang.foreign.ValueLayout;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.panatrain.engine.model.CpuBackend;
import org.panatrain.engine.model.Gpt2;
import org.panatrain.engine.model.Gpt2Config;
import org.panatrain.engine.model.Parameter;
import org.panatrain.engine.model.TestTensors;
import org.panatrain.kernels.Kernels;
import org.panatrain.kernels.cpu.CpuKernels;
import org.panatrain.memory.Tensor;

class AdamW8bitTest {
    /**
     * Bar on the relative RMS error of the whole update, sqrt(sum (moved - moved64)^2 / sum moved64^2).
     * The moments' quantization error is at most half a gap of the map, relative to the block's
     * absmax: in the top decade (|m| / absmax in [0.1, 1]) the signed map's gap is 0.9/64 = 0.014,
     * the unsigned map's 0.9/128 = 0.007; a decade lower, gaps are 10x smaller but so are the
     * values, so relative errors of 1-7% per element are expected for elements well below their
     * block's absmax. Adam's update is m / sqrt(v), so these errors enter it at about their size
     * (v's at half of it) and partly average out over elements and steps: measured 0.71% on this
     * run (printed), so 3% leaves a 4x margin. FP32 AdamW is within 1e-6 of the same reference
     * (AdamWTest), so the gap is quantization; a wrong formula (no bias correction, a wrong beta,
     * a stale absmax) moves it by tens of percent.
     */
    private static final double BAR = 0.03;

    @RegisterExtension
    static final CpuBackend CPU = new CpuBackend(1);

    @Test
    void tenStepsTrackFloat64AdamW() {
        AdamWConfig cfg = new AdamWConfig(0.9f, 0.95f, 1e-8f, 0.1f);
        int steps = 10;
        float[] lrs = new float[steps];
        float[] scales = new float[steps];
        for (int t = 0; t < steps; t++) {
            lrs[t] = 1e-2f / (1 + t);
            scales[t] = t % 3 == 2 ? 0.3f : 1f;
        }
        double diffSq = 0;
        double moveSq = 0;
        try (Gpt2 model = Gpt2.create(OptimizerRuns.SMALL, CPU.kernels(), 1);
             AdamW8bit opt = new AdamW8bit(model, cfg, AdamW8bit.DEFAULT_BLOCK)) {
            OptimizerRuns.Run run = OptimizerRuns.run(CPU.kernels(), opt, 44, lrs, scales);
            for (Parameter p : model.parameters()) {
                float[] w0 = run.initial().get(p.name());
                double[] w = OptimizerRuns.toDouble(w0);
                double[] m = new double[w.length];
                double[] v = new double[w.length];
                double wd = p.value().rank() >= 2 ? cfg.weightDecay() : 0;
                for (int t = 1; t <= steps; t++) {
                    float[] g = run.grads().get(p.name())[t - 1];
                    for (int i = 0; i < w.length; i++) {
                        w[i] -= lrs[t - 1] * wd * w[i];
                        m[i] = 0.9 * m[i] + 0.1 * g[i];
                        v[i] = 0.95 * v[i] + 0.05 * (double) g[i] * g[i];
                        double mhat = m[i] / (1 - Math.pow(0.9, t));
                        double vhat = v[i] / (1 - Math.pow(0.95, t));
                        w[i] -= lrs[t - 1] * mhat / (Math.sqrt(vhat) + 1e-8);
                    }
                }
                float[] now = TestTensors.read(CPU.kernels(), p.value());
                for (int i = 0; i < w.length; i++) {
                    double moved64 = w[i] - w0[i];
                    double moved = (double) now[i] - w0[i];
                    diffSq += (moved - moved64) * (moved - moved64);
                    moveSq += moved64 * moved64;
                }
            }
        }
        double error = Math.sqrt(diffSq / moveSq);
        System.out.printf("AdamW8bit vs float64 AdamW: relative RMS error of the update %.4f%n", error);
        assertThat(error).isLessThanOrEqualTo(BAR).isGreaterThan(0);
    }

    @Test
    void stateIsTwoBytesPerParameterPlusTwoScalesPerBlock() {
        try (Gpt2 model = Gpt2.create(OptimizerRuns.SMALL, CPU.kernels(), 1);
             AdamW8bit opt = new AdamW8bit(model, AdamWConfig.defaults(), 256)) {
            long blocks = 0;
            for (Parameter p : model.parameters()) {
                blocks += (p.spec().numel() + 255) / 256;
            }
            long P = model.parameterCount();
            assertThat(opt.stateBytes()).isEqualTo(2 * P + 2 * 4 * blocks);
            assertThat(opt.stateBytesPerParameter()).isBetween(2.0, 2.1);
            assertThat(opt.stateTensors()).containsKeys("state1.wte.weight", "absmax1.wte.weight",
                    "state2.wte.weight", "absmax2.wte.weight");
            assertThat(opt.stateTensors().get("absmax1.h.0.mlp.c_fc.weight").numel()).isEqualTo(32 * 128 / 256);
        }
    }

    @Test
    void firstMomentCodesStartAtTheCodeOfZeroOnAMultiThreadedBackend() {
        // gpt2-tiny: its larger tensors are copied in parallel (the SMALL model's are each one chunk)
        try (Kernels threaded = CpuKernels.create(3); Gpt2 model = Gpt2.create(Gpt2Config.named("gpt2-tiny"), threaded, 1);
             AdamW8bit opt = new AdamW8bit(model, AdamWConfig.defaults(), 256)) {
            // the signed map holds 127 negative values below 0, so 0 is code 127; v's 0 is code 0
            for (var e : opt.stateTensors().entrySet()) {
                int want = e.getKey().startsWith(AdamW8bit.CODES_M + ".") ? 127 : 0;
                Tensor t = e.getValue();
                for (long i = 0; i < t.byteSize(); i++) {
                    assertThat(t.data().get(ValueLayout.JAVA_BYTE, i) & 0xFF).as("%s byte %d", e.getKey(), i).isEqualTo(want);
                }
            }
        }
    }
}
