// `train` on the built-in corpus learns: a shortened run of the default recipe (1000 instead of
// 2500 steps; the same model, batch and learning rate) at least halves the loss and answers
// held-out addition problems it never saw. The bar, and why it is safe, is stated at BAR below.
package org.panatrain.engine.train;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.panatrain.engine.data.ArithmeticCorpus;
import org.panatrain.engine.data.ExactMatch;
import org.panatrain.engine.data.TokenSource;
import org.panatrain.engine.model.Gpt2;
import org.panatrain.kernels.cpu.CpuKernels;

class TrainLearnsTest {
    /** Steps of the shortened run (the default run takes DEFAULT_TRAINING.steps()). */
    private static final int STEPS = 1000;
    /**
     * Test exact-match bar: 50% of the 1,000 held-out problems. Chance is about 1 in 1,000, and a
     * model that learned only the format and the digit frequencies stays below 3% (measured on the
     * plateau before learning sets in), so 50% needs addition that generalizes to unseen problems.
     * The bar is below what this run reaches (~100%) because the step at which learning sets in
     * varies with the seed and from run to run (the CPU kernels are not bit-reproducible): in
     * 1000-step runs of this recipe, seeds 1337, 2, 3, 5, 7, 8 and 9 left the plateau between steps
     * 300 and 600 and reached 97.3% to 100%.
     */
    private static final double BAR = 0.5;

    @Test
    void shortenedDefaultRunHalvesTheLossAndAnswersHeldOutProblems() {
        TrainConfig d = ArithmeticTask.DEFAULT_TRAINING;
        TrainConfig config = new TrainConfig(d.microBatch(), d.seq(), d.gradAccum(), STEPS, d.lr(), d.minLr(),
                STEPS / 20, d.weightDecay(), d.clip(), 0, d.evalBatches(), d.seed());
        ArithmeticCorpus corpus = ArithmeticCorpus.standard();
        TokenSource train = TokenSource.of(corpus.trainTokens(config.tokensPerStep() * STEPS + 1, d.seed()), "train");
        TokenSource test = TokenSource.of(corpus.testTokens(), "test");
        List<Float> losses = new ArrayList<>();
        try (CpuKernels kernels = CpuKernels.create(2);
             Gpt2 model = Gpt2.create(ArithmeticTask.MODEL, kernels, d.seed())) {
            TrainResult result = Trainer.train(model, config, train, test, report -> losses.add(report.loss()));
            ExactMatch.Result accuracy = ArithmeticTask.accuracy(model, corpus, corpus.test());

            assertThat(losses).hasSize(STEPS);
            assertThat(losses.getFirst()).isCloseTo((float) Math.log(256), org.assertj.core.data.Offset.offset(0.1f));
            assertThat(result.loss()).isLessThanOrEqualTo(losses.getFirst() / 2);
            assertThat(result.valLoss()).isLessThanOrEqualTo(losses.getFirst() / 2);
            assertThat(accuracy.accuracy()).as("test exact match, %d/%d", accuracy.correct(), accuracy.total())
                    .isGreaterThanOrEqualTo(BAR);
        }
    }
}
