// Resuming through CheckpointSchedule is invisible: a tiny run of 6 steps that saves every 2,
// "crashes" after step 4 and resumes (a fresh model and optimizer initialised from another seed)
// produces per-step losses and final weights and moments bit-identical to the uninterrupted run,
// in fp32 and in emulated fp8 (whose per-tensor scales, restored from state.json, change every
// step, so a resume that lost them would differ), with AdamW and with Lion, Adafactor and
// AdamW8bit (whose state tensors, INT8 codes included, and step count the checkpoint restores).
// A resume in another precision is refused.
// Each run is a fresh JVM (ResumeRunMain), as a resumed run is. (It once also kept the runs apart
// from the JIT: the CPU kernels' lanewise(EXP) changed its last bits once C2 compiled it; their
// exp is now Exp, the same bits at every tier: JitTierTest.)
package org.panatrain.engine.checkpoint;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.DataInputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;
import org.panatrain.engine.data.ShardLoader;
import org.panatrain.engine.data.TokenSource;
import org.panatrain.engine.io.BadInputException;
import org.panatrain.engine.model.Gpt2;
import org.panatrain.engine.optim.AdamW;
import org.panatrain.engine.optim.AdamWConfig;
import org.panatrain.engine.optim.Optimizer;
import org.panatrain.engine.optim.OptimizerKind;
import org.panatrain.engine.precision.Precision;
import org.panatrain.engine.precision.PrecisionState;
import org.panatrain.engine.train.BatchReader;
import org.panatrain.kernels.Kernels;
import org.panatrain.kernels.cpu.CpuKernels;

class CheckpointScheduleTest {
    @TempDir
    Path tmp;

    /** Losses (float bits) of the steps a run did, the final weight bits, the optimizer state bytes. */
    private record RunResult(List<Integer> losses, int[] bits, byte[] optimizerState) {
    }

    private RunResult run(Path root, long initSeed, int stopAfter, boolean resume, String precision, String optimizer)
            throws Exception {
        Path out = tmp.resolve("run-" + System.nanoTime());
        Process p = ChildJvm.start(ResumeRunMain.class, List.of(), root.toString(), Long.toString(initSeed),
                Integer.toString(stopAfter), Boolean.toString(resume), out.toString(), precision, optimizer);
        assertThat(p.waitFor(120, TimeUnit.SECONDS)).isTrue();
        assertThat(p.exitValue()).isZero();
        try (DataInputStream in = new DataInputStream(Files.newInputStream(out))) {
            List<Integer> losses = new ArrayList<>();
            for (int i = in.readInt(); i > 0; i--) {
                losses.add(in.readInt());
            }
            int[] bits = new int[Math.toIntExact(TinyRun.CONFIG.parameterCount())];
            for (int i = 0; i < bits.length; i++) {
                bits[i] = in.readInt();
            }
            byte[] state = new byte[in.readInt()];
            in.readFully(state);
            return new RunResult(losses, bits, state);
        }
    }

    @Test
    void resumedRunIsBitIdenticalToTheUninterruptedOne() throws Exception {
        assertResumeIsBitIdentical("fp32", "adamw");
    }

    @Test
    void resumedFp8RunIsBitIdenticalToTheUninterruptedOne() throws Exception {
        assertResumeIsBitIdentical("fp8", "adamw");
    }

    @ParameterizedTest
    @ValueSource(strings = {"lion", "adafactor", "adamw8bit"})
    void resumedRunOfAnyOptimizerIsBitIdenticalToTheUninterruptedOne(String optimizer) throws Exception {
        assertResumeIsBitIdentical("fp32", optimizer);
    }

    @Test
    void resumeInAnotherPrecisionIsRefusedBeforeAnythingChanges() {
        Path root = tmp.resolve("bf16");
        CheckpointStore store = new CheckpointStore(root, m -> { });
        try (Kernels k = CpuKernels.create(1); Gpt2 model = Gpt2.create(TinyRun.CONFIG, k, 1);
             AdamW opt = new AdamW(model, AdamWConfig.defaults())) {
            TinyRun.train(model, opt, 1, 2);
            store.save(model, opt, new CheckpointState(1, new ShardLoader.Position(0, 0, 16), 5, 0, PrecisionState.initial(Precision.BF16),
                    Double.NaN, 0, TinyRun.runConfig("tiny")));
            CheckpointSchedule ckpt = new CheckpointSchedule(store, 2, 2, true, TinyRun.runConfig("tiny"), 5, m -> { });
            try (Gpt2 fresh = Gpt2.create(TinyRun.CONFIG, k, 3); AdamW freshOpt = new AdamW(fresh, AdamWConfig.defaults())) {
                byte[] before = ModelSnapshot.weightsAndState(freshOpt);
                assertThatThrownBy(() -> ckpt.resume(fresh, freshOpt, Precision.FP16))
                        .isInstanceOf(BadInputException.class)
                        .hasMessageContaining("step-00000001").hasMessageContaining("state.json")
                        .hasMessageContaining("trained with --precision bf16, this run uses --precision fp16")
                        .message().doesNotContain("\n");
                assertThat(ModelSnapshot.weightsAndState(freshOpt)).isEqualTo(before);
                assertThat(freshOpt.stepCount()).isZero();
            }
        }
    }

    @Test
    void stateOfAnotherOptimizerIsRefusedBeforeAnythingChanges() {
        CheckpointStore store = new CheckpointStore(tmp.resolve("lion"), m -> { });
        try (Kernels k = CpuKernels.create(1); Gpt2 model = Gpt2.create(TinyRun.CONFIG, k, 1);
             Optimizer lion = OptimizerKind.LION.create(model, 0.1f)) {
            store.save(model, lion, TinyRun.state(3));
            Checkpoint saved = store.latest(TinyRun.runConfig("tiny")).orElseThrow();
            try (Gpt2 fresh = Gpt2.create(TinyRun.CONFIG, k, 3);
                 Optimizer adafactor = OptimizerKind.ADAFACTOR.create(fresh, 0.1f)) {
                byte[] before = ModelSnapshot.weightsAndState(adafactor);
                assertThatThrownBy(() -> saved.restore(fresh, adafactor))
                        .isInstanceOf(BadInputException.class)
                        .hasMessageContaining("optimizer.safetensors")
                        .hasMessageContaining("optimizer = lion, this run has adafactor")
                        .message().doesNotContain("\n");
                assertThat(ModelSnapshot.weightsAndState(adafactor)).isEqualTo(before);
                assertThat(adafactor.stepCount()).isZero();
            }
        }
    }

    @Test
    void aDataPositionOutsideTheDataIsRefusedNamingTheStateFile() {
        CheckpointStore store = new CheckpointStore(tmp.resolve("shards"), m -> { });
        CheckpointSchedule ckpt = new CheckpointSchedule(store, 2, 2, true, TinyRun.runConfig("tiny"), 5, m -> { });
        try (Kernels k = CpuKernels.create(1); Gpt2 model = Gpt2.create(TinyRun.CONFIG, k, 1);
             AdamW opt = new AdamW(model, AdamWConfig.defaults())) {
            store.save(model, opt, TinyRun.state(2)); // shard 2 of a run on several shards
            CheckpointState resumed = ckpt.resume(model, opt, Precision.FP16).orElseThrow();
            BatchReader oneShard = new BatchReader(TokenSource.of(new int[100], "tokens"), TinyRun.B, TinyRun.T);
            assertThatThrownBy(() -> ckpt.seek(oneShard, resumed))
                    .isInstanceOf(BadInputException.class)
                    .hasMessageContaining("step-00000002").hasMessageContaining("state.json: data position: ")
                    .hasMessageContaining("outside tokens");
        }
    }

    private void assertResumeIsBitIdentical(String precision, String optimizer) throws Exception {
        Path straightDir = tmp.resolve("straight");
        RunResult straight = run(straightDir, 1, ResumeRunMain.STEPS, false, precision, optimizer);
        try (var dirs = Files.list(straightDir)) {
            assertThat(dirs.map(p -> p.getFileName().toString()).sorted().toList())
                    .containsExactly("step-00000004", "step-00000006");
        }
        Path crashDir = tmp.resolve("crash");
        RunResult firstPart = run(crashDir, 1, 4, false, precision, optimizer);                    // stops after step 4 (saved at 2 and 4)
        RunResult secondPart = run(crashDir, 77, ResumeRunMain.STEPS, true, precision, optimizer); // another init: all state from the checkpoint
        assertThat(secondPart.losses()).hasSize(2);
        List<Integer> joined = new ArrayList<>(firstPart.losses());
        joined.addAll(secondPart.losses());
        assertThat(joined).isEqualTo(straight.losses());
        assertThat(secondPart.bits()).isEqualTo(straight.bits());
        assertThat(secondPart.optimizerState()).isEqualTo(straight.optimizerState());
        assertThat(firstPart.optimizerState()).isNotEqualTo(straight.optimizerState()); // the state moved in steps 5-6
    }
}
