// The whole training loop (zeroGrad, micro-batches, clipping, scheduled AdamW steps) learns: a
// small model memorises one fixed batch, so its loss must fall far below the uniform loss ln(V).
package org.panatrain.engine.optim;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.Random;
import org.junit.jupiter.api.Test;
import org.panatrain.engine.model.Gpt2;
import org.panatrain.engine.model.Gpt2Config;
import org.panatrain.engine.model.Gpt2Step;
import org.panatrain.kernels.Kernels;
import org.panatrain.kernels.cpu.CpuKernels;

class TrainingLoopTest {
    @Test
    void memorisesAFixedBatchWithGradientAccumulation() {
        Gpt2Config cfg = new Gpt2Config(2, 2, 32, 16, 23);
        int B = 2;
        int T = 16;
        int gradAccum = 2;
        Random random = new Random(3);
        int[][] inputs = new int[gradAccum][B * T];
        int[][] targets = new int[gradAccum][B * T];
        for (int micro = 0; micro < gradAccum; micro++) {
            for (int i = 0; i < B * T; i++) {
                inputs[micro][i] = random.nextInt(cfg.vocabSize());
                targets[micro][i] = random.nextInt(cfg.vocabSize());
            }
        }
        LrSchedule schedule = new LrSchedule(1e-2f, 1e-3f, 5, 30);
        try (Kernels k = CpuKernels.create(); Gpt2 model = Gpt2.create(cfg, k, 9);
             Gpt2Step step = model.newStep(B, T); AdamW opt = new AdamW(model, AdamWConfig.defaults())) {
            float first = Float.NaN;
            float last = Float.NaN;
            for (int s = 0; s < 30; s++) {
                opt.zeroGrad();
                float loss = 0;
                for (int micro = 0; micro < gradAccum; micro++) {
                    loss += step.forwardBackward(inputs[micro], targets[micro], 1f / gradAccum) / gradAccum;
                }
                opt.clipGradNorm(1f);
                opt.step(schedule.at(s));
                first = s == 0 ? loss : first;
                last = loss;
            }
            assertThat((double) first).isCloseTo(Math.log(cfg.vocabSize()), org.assertj.core.data.Offset.offset(0.2));
            assertThat(last).isLessThan(first / 4);
            float eval = (step.loss(inputs[0], targets[0]) + step.loss(inputs[1], targets[1])) / 2;
            assertThat(eval).isLessThan(first / 4);
        }
    }
}
