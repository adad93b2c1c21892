// Resuming through CheckpointSchedule is invisible: a tiny run of 6 steps that saves every 2,
// "crashes" after step 4 and resumes (a fresh model and optimizer initialised from another seed)
// produces per-step losses and final weights and moments bit-identical to the uninterrupted run.
// Each run is a fresh JVM (ResumeRunMain): in one long-lived JVM the CPU kernels' results can
// change in the last bits once the JIT recompiles them, which would hide what this test checks.
package org.panatrain.engine.checkpoint;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.DataInputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class CheckpointScheduleTest {
    @TempDir
    Path tmp;

    /** Losses (float bits) of the steps a run did, then the final weight and moment bits. */
    private record RunResult(List<Integer> losses, int[] bits) {
    }

    private RunResult run(Path root, long initSeed, int stopAfter, boolean resume) throws Exception {
        Path out = tmp.resolve("run-" + System.nanoTime());
        Process p = ChildJvm.start(ResumeRunMain.class, List.of(), root.toString(), Long.toString(initSeed),
                Integer.toString(stopAfter), Boolean.toString(resume), out.toString());
        assertThat(p.waitFor(120, TimeUnit.SECONDS)).isTrue();
        assertThat(p.exitValue()).isZero();
        try (DataInputStream in = new DataInputStream(Files.newInputStream(out))) {
            List<Integer> losses = new ArrayList<>();
            for (int i = in.readInt(); i > 0; i--) {
                losses.add(in.readInt());
            }
            int[] bits = new int[Math.toIntExact(3 * TinyRun.CONFIG.parameterCount())];
            for (int i = 0; i < bits.length; i++) {
                bits[i] = in.readInt();
            }
            return new RunResult(losses, bits);
        }
    }

    @Test
    void resumedRunIsBitIdenticalToTheUninterruptedOne() throws Exception {
        Path straightDir = tmp.resolve("straight");
        RunResult straight = run(straightDir, 1, ResumeRunMain.STEPS, false);
        try (var dirs = Files.list(straightDir)) {
            assertThat(dirs.map(p -> p.getFileName().toString()).sorted().toList())
                    .containsExactly("step-00000004", "step-00000006");
        }
        Path crashDir = tmp.resolve("crash");
        RunResult firstPart = run(crashDir, 1, 4, false);                      // stops after step 4 (saved at 2 and 4)
        RunResult secondPart = run(crashDir, 77, ResumeRunMain.STEPS, true);   // another init: all state from the checkpoint
        assertThat(secondPart.losses()).hasSize(2);
        List<Integer> joined = new ArrayList<>(firstPart.losses());
        joined.addAll(secondPart.losses());
        assertThat(joined).isEqualTo(straight.losses());
        assertThat(secondPart.bits()).isEqualTo(straight.bits());
    }
}
