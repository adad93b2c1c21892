// A save killed with SIGKILL (Process.destroyForcibly) at each stage leaves the previous
// checkpoint loadable: a child JVM saves step 2 with a pause after every file (the test hook
// panatrain.checkpoint.pauseMillis), and the test kills it once the stage's file appears.
package org.panatrain.engine.checkpoint;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.panatrain.engine.model.Gpt2;
import org.panatrain.engine.optim.AdamW;
import org.panatrain.engine.optim.AdamWConfig;
import org.panatrain.kernels.Kernels;
import org.panatrain.kernels.cpu.CpuKernels;

class CheckpointKillTest {
    @TempDir
    Path root;

    @Test
    void killedSaveLeavesThePreviousCheckpointLoadable() throws Exception {
        byte[] step1;
        try (Kernels k = CpuKernels.create(1); Gpt2 model = Gpt2.create(TinyRun.CONFIG, k, 1);
             AdamW opt = new AdamW(model, AdamWConfig.defaults())) {
            TinyRun.train(model, opt, 1, 2);
            new CheckpointStore(root, m -> { }).save(model, opt, TinyRun.state(1));
            step1 = ModelSnapshot.weightsAndState(opt);
        }
        Path tmp = root.resolve("step-00000002.tmp");
        // The stages of a save: the directory made, then each file written (COMMIT: before the rename).
        List<Path> killPoints = List.of(tmp, tmp.resolve(CheckpointStore.MODEL_FILE),
                tmp.resolve(CheckpointStore.OPTIMIZER_FILE), tmp.resolve(CheckpointStore.STATE_FILE),
                tmp.resolve(CheckpointStore.COMMIT_FILE));
        for (Path point : killPoints) {
            Process child = startSave();
            try {
                long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(60);
                while (!Files.exists(point) && child.isAlive() && System.nanoTime() < deadline) {
                    Thread.sleep(5);
                }
                assertThat(point).as("the save reached %s", point).exists();
            } finally {
                child.destroyForcibly().waitFor();
            }
            assertThat(root.resolve("step-00000002")).doesNotExist();
            List<String> warnings = new ArrayList<>();
            Checkpoint found = new CheckpointStore(root, warnings::add).latest(TinyRun.runConfig("tiny")).orElseThrow();
            assertThat(found.state().step()).isEqualTo(1);
            assertThat(warnings).singleElement().asString().contains("step-00000002.tmp");
            try (Kernels k = CpuKernels.create(1); Gpt2 model = Gpt2.create(TinyRun.CONFIG, k, 7);
                 AdamW opt = new AdamW(model, AdamWConfig.defaults())) {
                found.restore(model, opt);
                assertThat(ModelSnapshot.weightsAndState(opt)).isEqualTo(step1);
            }
        }
        // Unkilled, the same save completes and becomes the latest.
        Process child = startSave();
        assertThat(child.waitFor(60, TimeUnit.SECONDS)).isTrue();
        assertThat(child.exitValue()).isZero();
        assertThat(new CheckpointStore(root, m -> { }).latest(TinyRun.runConfig("tiny")).orElseThrow().state().step())
                .isEqualTo(2);
    }

    /** SaveCheckpointMain in a child JVM, pausing after every file of the save. */
    private Process startSave() throws Exception {
        return ChildJvm.start(SaveCheckpointMain.class, List.of("-D" + CheckpointStore.PAUSE_PROPERTY + "=200"),
                root.toString());
    }
}
