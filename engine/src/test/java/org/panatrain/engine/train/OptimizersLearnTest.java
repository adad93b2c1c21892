// Every optimizer of `train --optimizer` trains the built-in addition task: a short run of the
// default recipe with each one brings the loss from ln(256) = 5.55 (uniform over bytes) well
// down. The bar, and the learning rates, are stated at BAR and LEARNING_RATES.
package org.panatrain.engine.train;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;
import org.panatrain.engine.data.ArithmeticCorpus;
import org.panatrain.engine.data.TokenSource;
import org.panatrain.engine.model.Gpt2;
import org.panatrain.engine.optim.Optimizer;
import org.panatrain.engine.optim.OptimizerKind;
import org.panatrain.kernels.cpu.CpuKernels;

class OptimizersLearnTest {
    private static final int STEPS = 100;
    /** The default 6e-3, except for Lion, whose paper advises a 3-10x smaller rate than AdamW's: 2e-3. */
    private static final Map<OptimizerKind, Float> LEARNING_RATES = Map.of(OptimizerKind.ADAMW, 6e-3f,
            OptimizerKind.LION, 2e-3f, OptimizerKind.ADAFACTOR, 6e-3f, OptimizerKind.ADAMW8BIT, 6e-3f);
    /**
     * Mean loss of the last 10 of 100 steps: at most 1.8, a third of the first step's ln(256).
     * Measured: adamw 1.389, adamw8bit 1.390, adafactor 1.427, lion 1.445 (with lr 1e-3 instead
     * of 2e-3, lion reached 1.768: too close to the bar, hence 2e-3). About 1.38
     * is the plateau where the model has learned the line format and the digit frequencies, before
     * it learns addition (ArithmeticTask); an optimizer that does not update stays at 5.5, one that
     * diverges goes to NaN or above.
     */
    private static final double BAR = 1.8;

    @ParameterizedTest
    @EnumSource(OptimizerKind.class)
    void shortRunOfTheBuiltInTaskBringsTheLossDown(OptimizerKind kind) {
        TrainConfig d = ArithmeticTask.DEFAULT_TRAINING;
        float lr = LEARNING_RATES.get(kind);
        TrainConfig config = new TrainConfig(d.microBatch(), d.seq(), d.gradAccum(), STEPS, lr, lr / 10, STEPS / 20,
                d.weightDecay(), d.clip(), 0, d.evalBatches(), d.seed());
        ArithmeticCorpus corpus = ArithmeticCorpus.standard();
        TokenSource train = TokenSource.of(corpus.trainTokens(config.tokensPerStep() * STEPS + 1, d.seed()), "train");
        List<Float> losses = new ArrayList<>();
        try (CpuKernels kernels = CpuKernels.create(2);
             Gpt2 model = Gpt2.create(ArithmeticTask.MODEL, kernels, d.seed());
             Optimizer optimizer = kind.create(model, config.weightDecay())) {
            Trainer.train(optimizer, config, train, null, RunControl.NONE, r -> losses.add(r.loss()));
        }
        double last = losses.subList(STEPS - 10, STEPS).stream().mapToDouble(Float::doubleValue).average().orElseThrow();
        System.out.printf("%s: loss %.4f at step 1, %.4f over the last 10 of %d steps%n", kind.cliName(),
                losses.getFirst(), last, STEPS);
        assertThat(losses.getFirst()).isCloseTo((float) Math.log(256), org.assertj.core.data.Offset.offset(0.1f));
        assertThat(last).isLessThanOrEqualTo(BAR);
    }
}
