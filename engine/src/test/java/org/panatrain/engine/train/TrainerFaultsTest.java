// The trainer's fault handling on a tiny CPU run with a checkpoint after every step: a stop
// request after step 3 ends the run there, interrupted, with the step-3 checkpoint written (and
// the test split not evaluated); a sticky CUDA error (CUDA_ERROR_ILLEGAL_ADDRESS, thrown by the
// training data as a device copy would) in step 3 ends the run with an error naming the original
// error and the step-2 checkpoint, and writes no checkpoint of step 3; an ordinary CUDA error
// (out of memory) passes through unchanged. The real sticky error needs a GPU (StickyErrorGpuTest).
package org.panatrain.engine.train;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.panatrain.bindings.CudaDriver;
import org.panatrain.bindings.CudaException;
import org.panatrain.engine.checkpoint.CheckpointSchedule;
import org.panatrain.engine.checkpoint.CheckpointStore;
import org.panatrain.engine.data.TokenSource;
import org.panatrain.engine.model.Gpt2;
import org.panatrain.engine.model.Gpt2Config;
import org.panatrain.engine.optim.AdamW;
import org.panatrain.engine.optim.AdamWConfig;
import org.panatrain.kernels.cpu.CpuKernels;

class TrainerFaultsTest {
    private static final Gpt2Config TINY = new Gpt2Config(1, 2, 16, 8, 32);
    private static final TrainConfig CONFIG = new TrainConfig(2, 8, 1, 6, 1e-2f, 1e-3f, 0, 0f, 1f, 0, 1, 7);
    private static final int TOKENS_PER_STEP = 2 * 8;

    @TempDir
    Path dir;

    /** Random tokens; reading the window that starts at {@code failAt} or later throws {@code failure} (null: never). */
    private static TokenSource tokens(long failAt, CudaException failure) {
        int[] tokens = new Random(5).ints(CONFIG.steps() * TOKENS_PER_STEP + 1, 0, TINY.vocabSize()).toArray();
        TokenSource plain = TokenSource.of(tokens, "random");
        return new TokenSource() {
            @Override
            public long length() {
                return plain.length();
            }

            @Override
            public void read(long start, int[] dst) {
                if (failure != null && start >= failAt) {
                    throw failure;
                }
                plain.read(start, dst);
            }

            @Override
            public String name() {
                return "random";
            }
        };
    }

    private List<String> checkpointDirs() throws Exception {
        try (Stream<Path> dirs = Files.list(dir)) {
            return dirs.map(p -> p.getFileName().toString()).filter(n -> n.startsWith("step-")).sorted().toList();
        }
    }

    private TrainResult train(TokenSource train, TokenSource test, java.util.function.BooleanSupplier stop,
                              List<Integer> steps) {
        try (CpuKernels kernels = CpuKernels.create(1);
             Gpt2 model = Gpt2.create(TINY, kernels, 7);
             AdamW optimizer = new AdamW(model, AdamWConfig.defaults())) {
            var checkpoints = new CheckpointSchedule(new CheckpointStore(dir, w -> { }), 1, 10, false,
                    Trainer.checkpointSettings(model, CONFIG, train, "adamw"), CONFIG.seed(), m -> { });
            return Trainer.train(optimizer, CONFIG, train, null, new RunControl(0, test, checkpoints, null, null, stop),
                    report -> steps.add(report.step()));
        }
    }

    @Test
    void stopRequestEndsTheRunAfterTheStepWithItsCheckpoint() throws Exception {
        List<Integer> steps = new ArrayList<>();
        TrainResult r = train(tokens(Long.MAX_VALUE, null), tokens(Long.MAX_VALUE, null), () -> steps.size() >= 3, steps);
        assertThat(steps).containsExactly(1, 2, 3);
        assertThat(r.interrupted()).isTrue();
        assertThat(r.steps()).isEqualTo(3);
        assertThat(r.testLoss()).as("no test split after an interrupt").isNaN();
        assertThat(checkpointDirs()).containsExactly("step-00000001", "step-00000002", "step-00000003");
        assertThat(dir.resolve("step-00000003").resolve(CheckpointStore.COMMIT_FILE)).exists();
    }

    @Test
    void stopRequestAtTheLastStepIsNoInterrupt() throws Exception {
        List<Integer> steps = new ArrayList<>();
        TrainResult r = train(tokens(Long.MAX_VALUE, null), null, () -> steps.size() == CONFIG.steps(), steps);
        assertThat(r.steps()).isEqualTo(CONFIG.steps());
        assertThat(r.interrupted()).isFalse();
    }

    @Test
    void stickyCudaErrorEndsTheRunWithoutACheckpoint() throws Exception {
        var illegalAddress = new CudaException("cuMemcpyHtoDAsync", CudaDriver.CUDA_ERROR_ILLEGAL_ADDRESS,
                "CUDA_ERROR_ILLEGAL_ADDRESS", "an illegal memory access was encountered");
        List<Integer> steps = new ArrayList<>();
        // the batch reader reads step 3's window at token 2 * 16
        assertThatThrownBy(() -> train(tokens(2L * TOKENS_PER_STEP, illegalAddress), null, () -> false, steps))
                .isInstanceOf(IllegalStateException.class)
                .hasCause(illegalAddress)
                .hasMessageContaining("at step 3")
                .hasMessageContaining("cuMemcpyHtoDAsync failed: CUDA_ERROR_ILLEGAL_ADDRESS (700)")
                .hasMessageContaining("no checkpoint was written")
                .hasMessageContaining("last good checkpoint: " + dir.resolve("step-00000002"));
        assertThat(steps).containsExactly(1, 2);
        assertThat(checkpointDirs()).containsExactly("step-00000001", "step-00000002");
    }

    @Test
    void ordinaryCudaErrorPassesThrough() {
        var outOfMemory = new CudaException("cuMemAlloc(1024)", CudaDriver.CUDA_ERROR_OUT_OF_MEMORY,
                "CUDA_ERROR_OUT_OF_MEMORY", "out of memory");
        assertThatThrownBy(() -> train(tokens(TOKENS_PER_STEP, outOfMemory), null, () -> false, new ArrayList<>()))
                .isSameAs(outOfMemory);
    }
}
