// The Trainer on the prefetching shard loader: one shard read by the loader thread trains to the
// same per-step losses, bit for bit, as the same tokens read in place by the BatchReader (one
// shard, rank 0 of 1: the loader's order is the file order, wrapping to the start each epoch).
package org.panatrain.engine.train;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.panatrain.engine.data.ShardLoader;
import org.panatrain.engine.data.TokenSource;
import org.panatrain.engine.io.TokenShard;
import org.panatrain.engine.model.Gpt2;
import org.panatrain.engine.model.Gpt2Config;
import org.panatrain.engine.optim.AdamW;
import org.panatrain.engine.optim.AdamWConfig;
import org.panatrain.kernels.Kernels;
import org.panatrain.kernels.cpu.CpuKernels;

class ShardLoaderTrainingTest {
    private static final Gpt2Config MODEL = new Gpt2Config(1, 2, 16, 16, 64);

    @TempDir
    Path dir;

    @Test
    void theLoaderTrainsExactlyAsTheInPlaceReader() {
        int[] tokens = new Random(4).ints(300, 0, MODEL.vocabSize()).toArray(); // 9 batches of 2 x 16: wraps
        Path file = dir.resolve("train.bin");
        TokenShard.write(file, tokens);
        TrainConfig config = new TrainConfig(2, 16, 2, 5, 1e-2f, 1e-3f, 1, 0.1f, 1f, 0, 1, 7);
        List<Float> inPlace = new ArrayList<>();
        try (Kernels k = CpuKernels.create(1); Gpt2 model = Gpt2.create(MODEL, k, config.seed())) {
            Trainer.train(model, config, TokenSource.of(tokens, "t"), null, r -> inPlace.add(r.loss()));
        }
        List<Float> loaded = new ArrayList<>();
        try (Kernels k = CpuKernels.create(1); Gpt2 model = Gpt2.create(MODEL, k, config.seed());
             AdamW optimizer = new AdamW(model, AdamWConfig.defaults().withWeightDecay(config.weightDecay()));
             ShardLoader loader = ShardLoader.open(List.of(file), MODEL.vocabSize(), 2, 16, 7, 0, 1)) {
            Trainer.train(optimizer, config, loader, null, RunControl.NONE, r -> loaded.add(r.loss()));
            assertThat(loader.batchesServed()).isEqualTo(10);
            assertThat(loader.waitNanos()).isNotNegative();
        }
        assertThat(loaded).hasSize(5).isEqualTo(inPlace);
    }
}
