// The child process of CheckpointScheduleTest: a tiny training loop with CheckpointSchedule
// (save every 2 steps, keep 2) in a given precision that stops after a given step (a crash) or
// resumes, with a given optimizer. Writes the losses of the steps it ran, the final bits of weights
// and AdamW moments, and the bytes of the optimizer's state tensors to a file.
// Usage: ResumeRunMain CHECKPOINT_DIR INIT_SEED STOP_AFTER RESUME(true|false) OUT_FILE PRECISION OPTIMIZER
package org.panatrain.engine.checkpoint;

import java.io.DataOutputStream;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.Random;
import org.panatrain.engine.data.ShardLoader;
import org.panatrain.engine.model.Gpt2;
import org.panatrain.engine.model.Gpt2Step;
import org.panatrain.engine.optim.LrSchedule;
import org.panatrain.engine.optim.Optimizer;
import org.panatrain.engine.optim.OptimizerKind;
import org.panatrain.engine.precision.Precision;
import org.panatrain.engine.precision.PrecisionPolicy;
import org.panatrain.engine.precision.TrainingPrecision;
import org.panatrain.kernels.Kernels;
import org.panatrain.kernels.cpu.CpuKernels;

public final class ResumeRunMain {
    static final int STEPS = 6;
    private static final int[] DATA = new Random(8).ints(2000, 0, TinyRun.CONFIG.vocabSize()).toArray();

    private ResumeRunMain() {
    }

    public static void main(String[] args) throws IOException {
        Path root = Path.of(args[0]);
        long initSeed = Long.parseLong(args[1]);
        int stopAfter = Integer.parseInt(args[2]);
        boolean resume = Boolean.parseBoolean(args[3]);
        PrecisionPolicy policy = PrecisionPolicy.of(Precision.parse(args[5]));
        List<Float> losses = new ArrayList<>();
        LrSchedule schedule = new LrSchedule(1e-2f, 1e-3f, 2, STEPS);
        CheckpointSchedule ckpt = new CheckpointSchedule(new CheckpointStore(root, System.err::println), 2, 2, resume,
                TinyRun.runConfig("tiny"), 5, m -> { });
        int n = TinyRun.B * TinyRun.T;
        int[] inputs = new int[n];  // (B, T)
        int[] targets = new int[n]; // (B, T)
        try (Kernels k = TrainingPrecision.backend(CpuKernels.create(2), policy);
             Gpt2 model = Gpt2.create(TinyRun.CONFIG, k, initSeed);
             Gpt2Step step = model.newStep(TinyRun.B, TinyRun.T); Optimizer opt = OptimizerKind.parse(args[6]).create(model, 0.1f);
             TrainingPrecision precision = new TrainingPrecision(policy, model)) {
            Optional<CheckpointState> resumed = ckpt.resume(model, opt, policy.precision());
            resumed.ifPresent(r -> precision.restore(r.precision()));
            long start = resumed.map(CheckpointState::step).orElse(0L);
            long position = resumed.map(r -> r.data().offset()).orElse(0L);
            for (long s = start + 1; s <= Math.min(STEPS, stopAfter); s++) {
                System.arraycopy(DATA, (int) position, inputs, 0, n);
                System.arraycopy(DATA, (int) position + 1, targets, 0, n);
                position += n;
                opt.zeroGrad();
                losses.add(step.forwardBackward(inputs, targets, precision.lossScale()));
                boolean apply = precision.unscaleGradients();
                if (apply) {
                    opt.clipGradNorm(1f);
                    opt.step(schedule.at((int) s - 1));
                }
                precision.endStep(apply);
                ckpt.afterStep(s, STEPS, model, opt,
                        new CheckpointSchedule.Position(new ShardLoader.Position(0, 0, position), 0, Double.NaN, 0,
                                precision.state()));
            }
            try (DataOutputStream out = new DataOutputStream(Files.newOutputStream(Path.of(args[4])))) {
                out.writeInt(losses.size());
                for (float loss : losses) {
                    out.writeInt(Float.floatToRawIntBits(loss));
                }
                for (int bits : ModelSnapshot.bits(model)) {
                    out.writeInt(bits);
                }
                byte[] state = ModelSnapshot.stateBytes(opt);
                out.writeInt(state.length);
                out.write(state);
            }
        }
    }
}
