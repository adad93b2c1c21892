// AdamW and clipping on a model's tensors against float64 math written here: PyTorch's update
// rule, decay on 2+-D tensors only, clip_grad_norm_'s scale min(1, max/(norm + 1e-6)).
package org.panatrain.engine.optim;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.HashMap;
import java.util.Map;
import java.util.Random;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.panatrain.engine.model.CpuBackend;
import org.panatrain.engine.model.Gpt2;
import org.panatrain.engine.model.Gpt2Config;
import org.panatrain.engine.model.Parameter;
import org.panatrain.engine.model.TestTensors;

class AdamWTest {
    static final Gpt2Config TINY = new Gpt2Config(1, 2, 8, 4, 5);
    @RegisterExtension
    static final CpuBackend CPU = new CpuBackend();

    @Test
    void twoStepsFollowPyTorchWithDecayOnMatricesOnly() {
        AdamWConfig cfg = new AdamWConfig(0.9f, 0.95f, 1e-8f, 0.5f);
        float[] lrs = {1e-2f, 5e-3f};
        Random random = new Random(7);
        Map<String, float[][]> grads = new HashMap<>();     // per parameter: the gradient of step 1, step 2
        Map<String, double[]> expected = new HashMap<>();
        try (Gpt2 model = Gpt2.create(TINY, CPU.kernels(), 3); AdamW opt = new AdamW(model, cfg)) {
            for (Parameter p : model.parameters()) {
                int n = Math.toIntExact(p.value().numel());
                float[] value = gaussian(random, n);
                TestTensors.write(CPU.kernels(), p.value(), value);
                float[][] g = {gaussian(random, n), gaussian(random, n)};
                grads.put(p.name(), g);
                double[] w = new double[n];
                double[] m = new double[n];
                double[] v = new double[n];
                for (int i = 0; i < n; i++) {
                    w[i] = value[i];
                }
                double wd = p.value().rank() >= 2 ? cfg.weightDecay() : 0;
                for (int t = 1; t <= 2; t++) {
                    adamW64(w, g[t - 1], m, v, lrs[t - 1], cfg, wd, t);
                }
                expected.put(p.name(), w);
            }
            for (int t = 0; t < 2; t++) {
                for (Parameter p : model.parameters()) {
                    TestTensors.write(CPU.kernels(), p.grad(), grads.get(p.name())[t]);
                }
                opt.step(lrs[t]);
            }
            assertThat(opt.stepCount()).isEqualTo(2);
            for (Parameter p : model.parameters()) {
                assertThat(TestTensors.relativeError(TestTensors.read(CPU.kernels(), p.value()), toFloat(expected.get(p.name()))))
                        .as(p.name()).isLessThanOrEqualTo(1e-6);
            }
        }
    }

    @Test
    void clipGradNormScalesLikeClipGradNormUnderscoreAndReturnsThePreClipNorm() {
        Random random = new Random(11);
        try (Gpt2 model = Gpt2.create(TINY, CPU.kernels(), 3); AdamW opt = new AdamW(model, AdamWConfig.defaults())) {
            int n = Math.toIntExact(model.parameterCount());
            float[] g = gaussian(random, n);
            double sumSq = 0;
            for (float x : g) {
                sumSq += (double) x * x;
            }
            double norm = Math.sqrt(sumSq);
            TestTensors.write(CPU.kernels(), model.gradientBlock(), g);
            assertThat((double) opt.clipGradNorm((float) (2 * norm))).isCloseTo(norm, org.assertj.core.data.Percentage.withPercentage(1e-4));
            assertThat(TestTensors.read(CPU.kernels(), model.gradientBlock())).containsExactly(g);

            float maxNorm = 1.5f;
            assertThat((double) opt.clipGradNorm(maxNorm)).isCloseTo(norm, org.assertj.core.data.Percentage.withPercentage(1e-4));
            double scale = maxNorm / (norm + 1e-6);
            float[] clipped = new float[n];
            for (int i = 0; i < n; i++) {
                clipped[i] = (float) (g[i] * scale);
            }
            assertThat(TestTensors.relativeError(TestTensors.read(CPU.kernels(), model.gradientBlock()), clipped))
                    .isLessThanOrEqualTo(1e-6);
            opt.zeroGrad();
            assertThat(TestTensors.read(CPU.kernels(), model.gradientBlock())).containsOnly(0f);
        }
    }

    // torch.optim.AdamW's update in float64
    private static void adamW64(double[] w, float[] g, double[] m, double[] v, double lr, AdamWConfig c, double wd, int t) {
        double b1 = c.beta1();
        double b2 = c.beta2();
        for (int i = 0; i < w.length; i++) {
            w[i] -= lr * wd * w[i];
            m[i] = b1 * m[i] + (1 - b1) * g[i];
            v[i] = b2 * v[i] + (1 - b2) * (double) g[i] * g[i];
            double mhat = m[i] / (1 - Math.pow(b1, t));
            double vhat = v[i] / (1 - Math.pow(b2, t));
            w[i] -= lr * mhat / (Math.sqrt(vhat) + c.eps());
        }
    }

    private static float[] gaussian(Random random, int n) {
        float[] x = new float[n];
        for (int i = 0; i < n; i++) {
            x[i] = (float) random.nextGaussian();
        }
        return x;
    }

    private static float[] toFloat(double[] x) {
        float[] f = new float[x.length];
        for (int i = 0; i < x.length; i++) {
            f[i] = (float) x[i];
        }
        return f;
    }
}
