// Training with dropout: a short run of the default recipe with dropout 0.1 on the built-in
// corpus still learns (the loss leaves ln(256) and halves, the validation loss, measured without
// dropout, too); the dropout probability is a checkpoint setting; every step gets its own seed. (That a resumed run draws the masks of an uninterrupted one: TrainResumeExportTest.)
package org.panatrain.engine.train;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.offset;

import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import org.junit.jupiter.api.Test;
import org.panatrain.engine.data.ArithmeticCorpus;
import org.panatrain.engine.data.TokenSource;
import org.panatrain.engine.model.Gpt2;
import org.panatrain.kernels.cpu.CpuKernels;

class TrainDropoutTest {
    private static final int STEPS = 60;

    @Test
    void aShortRunWithDropoutHalvesTheLoss() {
        TrainConfig d = ArithmeticTask.DEFAULT_TRAINING;
        TrainConfig config = new TrainConfig(d.microBatch(), d.seq(), d.gradAccum(), STEPS, d.lr(), d.minLr(),
                STEPS / 20, d.weightDecay(), d.clip(), 0, d.evalBatches(), d.seed(), 0.1f);
        ArithmeticCorpus corpus = ArithmeticCorpus.standard();
        TokenSource train = TokenSource.of(corpus.trainTokens(config.tokensPerStep() * STEPS + 1, d.seed()), "train");
        TokenSource validation = TokenSource.of(corpus.testTokens(), "test");
        List<Float> losses = new ArrayList<>();
        try (CpuKernels kernels = CpuKernels.create(2);
             Gpt2 model = Gpt2.create(ArithmeticTask.MODEL, kernels, d.seed())) {
            TrainResult result = Trainer.train(model, config, train, validation, report -> losses.add(report.loss()));
            assertThat(losses).hasSize(STEPS);
            assertThat(losses.getFirst()).isCloseTo((float) Math.log(256), offset(0.1f));
            assertThat(result.loss()).isLessThanOrEqualTo(losses.getFirst() / 2);
            assertThat(result.valLoss()).isLessThanOrEqualTo(losses.getFirst() / 2);
        }
    }

    @Test
    void dropoutIsACheckpointSettingAndEveryStepHasItsOwnSeed() {
        TrainConfig d = ArithmeticTask.DEFAULT_TRAINING;
        try (CpuKernels kernels = CpuKernels.create(1); Gpt2 model = Gpt2.create(ArithmeticTask.MODEL, kernels, 1)) {
            TokenSource data = TokenSource.of(new int[] {1, 2, 3}, "tiny");
            assertThat(Trainer.checkpointSettings(model, d.withDropout(0.1f), data, "adamw")).containsEntry("dropout", "0.1");
            assertThat(Trainer.checkpointSettings(model, d, data, "adamw")).containsEntry("dropout", "0.0");
        }
        long key = Trainer.dropoutKey(1337);
        assertThat(key).isNotEqualTo(Trainer.dropoutKey(1338));
        Set<Long> seeds = new HashSet<>();
        for (int step = 0; step < 200; step++) {
            seeds.add(Trainer.dropoutSeed(key, step));
        }
        assertThat(seeds).hasSize(200);   // every step its own masks (micro-steps: Gpt2DropoutTest)
    }
}
