// Lion against its update written here in float64 (Chen et al. 2023, Algorithm 2 / lion-pytorch):
// c = b1 m + (1-b1) g; w -= lr (sign(c) + wd w); m = b2 m + (1-b2) g; decay on 2+-D tensors only.
package org.panatrain.engine.optim;

import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.panatrain.engine.model.CpuBackend;
import org.panatrain.engine.model.Gpt2;
import org.panatrain.engine.model.Parameter;

class LionTest {
    @RegisterExtension
    static final CpuBackend CPU = new CpuBackend(1);

    @Test
    void fiveStepsFollowTheFloat64UpdateWithDecayOnMatricesOnly() {
        Lion.Config cfg = new Lion.Config(0.9f, 0.99f, 0.5f);
        float[] lrs = {1e-2f, 8e-3f, 6e-3f, 4e-3f, 2e-3f};
        float[] scales = {1f, 0.5f, 2f, 1f, 0.1f};
        try (Gpt2 model = Gpt2.create(OptimizerRuns.SMALL, CPU.kernels(), 1); Lion opt = new Lion(model, cfg)) {
            OptimizerRuns.Run run = OptimizerRuns.run(CPU.kernels(), opt, 21, lrs, scales);
            assertThat(opt.stepCount()).isEqualTo(5);
            for (Parameter p : model.parameters()) {
                double[] w = OptimizerRuns.toDouble(run.initial().get(p.name()));
                double[] m = new double[w.length];
                double wd = p.value().rank() >= 2 ? cfg.weightDecay() : 0;
                for (int t = 0; t < lrs.length; t++) {
                    float[] g = run.grads().get(p.name())[t];
                    for (int i = 0; i < w.length; i++) {
                        double c = 0.9 * m[i] + 0.1 * g[i];
                        w[i] -= lrs[t] * (Math.signum(c) + wd * w[i]);
                        m[i] = 0.99 * m[i] + 0.01 * g[i];
                    }
                }
                assertThat(OptimizerRuns.displacementError(CPU.kernels(), p, run.initial().get(p.name()), w))
                        .as(p.name()).isLessThanOrEqualTo(OptimizerRuns.FLOAT32_BAR);
            }
        }
    }

    @Test
    void keepsOneFloatMomentumPerParameterUnderPyTorchNames() {
        try (Gpt2 model = Gpt2.create(OptimizerRuns.SMALL, CPU.kernels(), 1); Lion opt = new Lion(model, Lion.Config.defaults())) {
            assertThat(opt.stateBytesPerParameter()).isEqualTo(4.0);
            assertThat(opt.stateTensors().keySet()).hasSize(model.parameters().size())
                    .startsWith("exp_avg.wte.weight", "exp_avg.wpe.weight");
            assertThat(opt.stateTensors().get("exp_avg.h.0.mlp.c_fc.weight").shape()).containsExactly(32, 128);
        }
    }
}
