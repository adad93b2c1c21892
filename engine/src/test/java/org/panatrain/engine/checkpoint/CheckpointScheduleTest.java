// Resuming through CheckpointSchedule is invisible: a tiny run of 6 steps that saves every 2,
// "crashes" after step 4 and resumes (a fresh model and optimizer, weights from another seed)
// produces per-step losses and final weights and moments bit-identical to the uninterrupted run.
package org.panatrain.engine.checkpoint;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.Random;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.panatrain.engine.model.Gpt2;
import org.panatrain.engine.model.Gpt2Step;
import org.panatrain.engine.optim.AdamW;
import org.panatrain.engine.optim.AdamWConfig;
import org.panatrain.engine.optim.LrSchedule;
import org.panatrain.kernels.Kernels;
import org.panatrain.kernels.cpu.CpuKernels;

class CheckpointScheduleTest {
    private static final int STEPS = 6;
    private static final int[] DATA = new Random(8).ints(2000, 0, TinyRun.CONFIG.vocabSize()).toArray();

    @TempDir
    Path root;

    /** Runs steps until {@code stopAfter} (a crash) or the end; returns the losses of the steps it ran. */
    private List<Float> run(Kernels k, long initSeed, int stopAfter, boolean resume, int[][] finalBits) {
        List<Float> losses = new ArrayList<>();
        LrSchedule schedule = new LrSchedule(1e-2f, 1e-3f, 2, STEPS);
        CheckpointSchedule ckpt = new CheckpointSchedule(new CheckpointStore(root, m -> { }), 2, 2, resume,
                TinyRun.runConfig("tiny"), 5, m -> { });
        int n = TinyRun.B * TinyRun.T;
        int[] inputs = new int[n];  // (B, T)
        int[] targets = new int[n]; // (B, T)
        try (Gpt2 model = Gpt2.create(TinyRun.CONFIG, k, initSeed); Gpt2Step step = model.newStep(TinyRun.B, TinyRun.T);
             AdamW opt = new AdamW(model, AdamWConfig.defaults())) {
            Optional<CheckpointState> resumed = ckpt.resume(model, opt);
            long start = resumed.map(CheckpointState::step).orElse(0L);
            long position = resumed.map(CheckpointState::dataPosition).orElse(0L);
            for (long s = start + 1; s <= Math.min(STEPS, stopAfter); s++) {
                System.arraycopy(DATA, (int) position, inputs, 0, n);
                System.arraycopy(DATA, (int) position + 1, targets, 0, n);
                position += n;
                opt.zeroGrad();
                losses.add(step.forwardBackward(inputs, targets, 1f));
                opt.clipGradNorm(1f);
                opt.step(schedule.at((int) s - 1));
                ckpt.afterStep(s, STEPS, model, opt, position, 0, 0);
            }
            finalBits[0] = ModelSnapshot.bits(model);
        }
        return losses;
    }

    @Test
    void resumedRunIsBitIdenticalToTheUninterruptedOne() throws Exception {
        try (Kernels k = CpuKernels.create(2)) {
            int[][] straightBits = new int[1][];
            List<Float> straight = run(k, 1, STEPS, false, straightBits);
            try (var dirs = Files.list(root)) {
                assertThat(dirs.map(p -> p.getFileName().toString()).sorted().toList())
                        .containsExactly("step-00000004", "step-00000006");
            }
            for (Path p : Files.list(root).toList()) {
                CheckpointStore.open(p); // both complete
                DurableFiles.deleteTree(p);
            }
            int[][] ignored = new int[1][];
            List<Float> firstPart = run(k, 1, 4, false, ignored);       // crashes after step 4 (saved at 2 and 4)
            int[][] resumedBits = new int[1][];
            List<Float> secondPart = run(k, 77, STEPS, true, resumedBits); // another init: all state comes from the checkpoint
            List<Float> joined = new ArrayList<>(firstPart);
            joined.addAll(secondPart);
            assertThat(secondPart).hasSize(2);
            assertThat(joined.stream().map(Float::floatToRawIntBits).toList())
                    .isEqualTo(straight.stream().map(Float::floatToRawIntBits).toList());
            assertThat(resumedBits[0]).isEqualTo(straightBits[0]);
        }
    }
}
