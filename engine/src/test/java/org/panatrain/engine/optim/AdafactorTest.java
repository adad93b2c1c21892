// Adafactor against Hugging Face transformers' Adafactor update (relative_step=False,
// scale_parameter=False, beta1=None) written here in float64: beta2t = 1 - t^-0.8; factored row
// and column EMAs of g^2 + 1e-30 for matrices, a full EMA for vectors; u = g / sqrt(vhat); u
// scaled down to RMS <= 1; w -= lr wd w + lr u (decay on 2+-D tensors only). The gradient scale
// changes between steps so that the RMS clip acts on some steps.
package org.panatrain.engine.optim;

import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.panatrain.engine.model.CpuBackend;
import org.panatrain.engine.model.Gpt2;
import org.panatrain.engine.model.Parameter;

class AdafactorTest {
    @RegisterExtension
    static final CpuBackend CPU = new CpuBackend(1);

    @Test
    void fiveStepsFollowHuggingFacesFormulasInFloat64() {
        Adafactor.Config cfg = Adafactor.Config.defaults().withWeightDecay(0.3f);
        float[] lrs = {1e-2f, 8e-3f, 6e-3f, 4e-3f, 2e-3f};
        float[] scales = {1f, 0.5f, 4f, 1f, 0.1f}; // step 3's jump makes RMS(u) > 1: the clip acts
        try (Gpt2 model = Gpt2.create(OptimizerRuns.SMALL, CPU.kernels(), 1); Adafactor opt = new Adafactor(model, cfg)) {
            OptimizerRuns.Run run = OptimizerRuns.run(CPU.kernels(), opt, 33, lrs, scales);
            int clipped = 0;
            for (Parameter p : model.parameters()) {
                int[] shape = p.spec().shape();
                boolean factored = shape.length == 2;
                int rows = shape[0];
                int cols = factored ? shape[1] : 1;
                double[] w = OptimizerRuns.toDouble(run.initial().get(p.name()));
                double[] row = new double[rows];
                double[] col = new double[cols];
                double[] v = new double[w.length];
                double wd = factored ? cfg.weightDecay() : 0;
                for (int t = 1; t <= lrs.length; t++) {
                    float[] g = run.grads().get(p.name())[t - 1];
                    double beta2t = 1 - Math.pow(t, -0.8);
                    double[] u = new double[w.length];
                    if (factored) {
                        double[] rowMean = new double[rows];
                        double[] colMean = new double[cols];
                        for (int i = 0; i < rows; i++) {
                            for (int j = 0; j < cols; j++) {
                                double u2 = (double) g[i * cols + j] * g[i * cols + j] + 1e-30;
                                rowMean[i] += u2 / cols;
                                colMean[j] += u2 / rows;
                            }
                        }
                        double meanOfRows = 0;
                        for (int i = 0; i < rows; i++) {
                            row[i] = beta2t * row[i] + (1 - beta2t) * rowMean[i];
                            meanOfRows += row[i] / rows;
                        }
                        for (int j = 0; j < cols; j++) {
                            col[j] = beta2t * col[j] + (1 - beta2t) * colMean[j];
                        }
                        for (int i = 0; i < rows; i++) {
                            for (int j = 0; j < cols; j++) {
                                u[i * cols + j] = g[i * cols + j] / Math.sqrt(row[i] / meanOfRows) / Math.sqrt(col[j]);
                            }
                        }
                    } else {
                        for (int i = 0; i < w.length; i++) {
                            v[i] = beta2t * v[i] + (1 - beta2t) * ((double) g[i] * g[i] + 1e-30);
                            u[i] = g[i] / Math.sqrt(v[i]);
                        }
                    }
                    double sumSq = 0;
                    for (double x : u) {
                        sumSq += x * x;
                    }
                    double rms = Math.sqrt(sumSq / u.length);
                    clipped += rms > 1 ? 1 : 0;
                    double divisor = Math.max(1, rms / 1.0);
                    for (int i = 0; i < w.length; i++) {
                        w[i] = w[i] - lrs[t - 1] * wd * w[i] - lrs[t - 1] * u[i] / divisor;
                    }
                }
                assertThat(OptimizerRuns.displacementError(CPU.kernels(), p, run.initial().get(p.name()), w))
                        .as(p.name()).isLessThanOrEqualTo(OptimizerRuns.FLOAT32_BAR);
            }
            assertThat(clipped).as("updates whose RMS the clip scaled down").isPositive();
        }
    }

    @Test
    void factoredStateIsRowsPlusColumnsFloatsPerMatrix() {
        try (Gpt2 model = Gpt2.create(OptimizerRuns.SMALL, CPU.kernels(), 1);
             Adafactor opt = new Adafactor(model, Adafactor.Config.defaults())) {
            long floats = 0;
            for (Parameter p : model.parameters()) {
                int[] s = p.spec().shape();
                floats += s.length == 2 ? s[0] + s[1] : s[0];
            }
            assertThat(opt.stateBytes()).isEqualTo(4 * floats);
            assertThat(opt.stateBytesPerParameter()).isEqualTo(4.0 * floats / model.parameterCount())
                    .isLessThan(0.5);
            assertThat(opt.stateTensors().get("exp_avg_sq_row.h.0.mlp.c_fc.weight").shape()).containsExactly(32);
            assertThat(opt.stateTensors().get("exp_avg_sq_col.h.0.mlp.c_fc.weight").shape()).containsExactly(128);
            assertThat(opt.stateTensors().get("exp_avg_sq.h.0.mlp.c_fc.bias").shape()).containsExactly(128);
        }
    }
}
