// The loader staging batches on a CUDA backend (pinned ring, copy stream, event waits): the tokens
// the step finds on the device after next(Tensor, Tensor) are the shard's, batch after batch in
// file order, and a few Trainer steps fed that way give the same losses, bit for bit, as the same
// tokens uploaded from arrays (the CUDA kernels are deterministic). Needs a GPU; skipped without one.
package org.panatrain.engine.train;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.lang.foreign.Arena;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.panatrain.bindings.Cuda;
import org.panatrain.engine.data.ShardLoader;
import org.panatrain.engine.data.TokenSource;
import org.panatrain.engine.io.TokenShard;
import org.panatrain.engine.model.Gpt2;
import org.panatrain.engine.model.Gpt2Config;
import org.panatrain.engine.model.Gpt2Step;
import org.panatrain.engine.optim.AdamW;
import org.panatrain.engine.optim.AdamWConfig;
import org.panatrain.kernels.cuda.CudaKernels;
import org.panatrain.memory.DType;
import org.panatrain.memory.Tensor;

@Tag("gpu")
class ShardLoaderCudaGpuTest {
    private static final Gpt2Config MODEL = new Gpt2Config(2, 2, 32, 32, 128);
    private static final int B = 4;
    private static final int T = 32;
    private static final int BT = B * T;

    @TempDir
    Path dir;

    @Test
    void theStepReadsTheShardsTokensFromTheDeviceAndTrainsAsFromArrays() {
        Cuda.Availability a = Cuda.availability();
        assumeTrue(a.available(), "CUDA is not available: " + a.reason());
        int[] tokens = new Random(3).ints(10 * BT + 1, 0, MODEL.vocabSize()).toArray(); // 10 batches, then wraps
        Path file = dir.resolve("train.bin");
        TokenShard.write(file, tokens);
        TrainConfig config = new TrainConfig(B, T, 2, 4, 1e-2f, 1e-3f, 1, 0.1f, 1f, 0, 1, 7);
        try (CudaKernels cuda = CudaKernels.create(0); TokenShard shard = TokenShard.open(file, MODEL.vocabSize())) {
            try (Gpt2 model = Gpt2.create(MODEL, cuda, 1); Gpt2Step step = model.newStep(B, T);
                 ShardLoader loader = ShardLoader.over(List.of(shard), B, T, 7, 0, 1, cuda);
                 Arena arena = Arena.ofShared()) {
                assertThat(loader.stagesOnDevice()).isTrue();
                Tensor host = Tensor.host(arena.allocate(4L * BT, 64), DType.INT32, B, T);
                for (int batch = 0; batch < 13; batch++) {
                    loader.next(step.inputTokens(), step.targetTokens());
                    step.forwardBackward(1f);
                    int start = (batch % 10) * BT;
                    cuda.download(host, step.inputTokens());
                    assertThat(ints(host)).as("inputs of batch %d", batch).isEqualTo(slice(tokens, start));
                    cuda.download(host, step.targetTokens());
                    assertThat(ints(host)).as("targets of batch %d", batch).isEqualTo(slice(tokens, start + 1));
                }
            }
            List<Float> staged = new ArrayList<>();
            try (Gpt2 model = Gpt2.create(MODEL, cuda, 1);
                 AdamW opt = new AdamW(model, AdamWConfig.defaults().withWeightDecay(config.weightDecay()));
                 ShardLoader loader = ShardLoader.over(List.of(shard), B, T, 7, 0, 1, cuda)) {
                Trainer.train(opt, config, loader, null, RunControl.NONE, r -> staged.add(r.loss()));
            }
            List<Float> uploaded = new ArrayList<>();
            try (Gpt2 model = Gpt2.create(MODEL, cuda, 1)) {
                Trainer.train(model, config, TokenSource.of(tokens, "t"), null, r -> uploaded.add(r.loss()));
            }
            assertThat(staged).hasSize(config.steps()).isEqualTo(uploaded);
        }
    }

    private static int[] ints(Tensor t) {
        int[] out = new int[Math.toIntExact(t.numel())];
        for (int i = 0; i < out.length; i++) {
            out[i] = t.data().getAtIndex(java.lang.foreign.ValueLayout.JAVA_INT, i);
        }
        return out;
    }

    private static int[] slice(int[] tokens, int start) {
        int[] out = new int[BT];
        System.arraycopy(tokens, start, out, 0, BT);
        return out;
    }
}
