// A tiny model trained a few steps on random tokens, so that weights, moments and the step count
// of a checkpoint are all non-trivial; shared by the checkpoint tests and their child process.
package org.panatrain.engine.checkpoint;

import java.util.LinkedHashMap;
import java.util.List;
import java.util.Random;
import java.util.SequencedMap;
import org.panatrain.engine.data.ShardLoader;
import org.panatrain.engine.model.Gpt2;
import org.panatrain.engine.model.Gpt2Config;
import org.panatrain.engine.model.Gpt2Step;
import org.panatrain.engine.optim.AdamW;
import org.panatrain.engine.precision.LossScaler;
import org.panatrain.engine.precision.Precision;
import org.panatrain.engine.precision.PrecisionState;

final class TinyRun {
    static final Gpt2Config CONFIG = new Gpt2Config(2, 2, 32, 16, 23);
    static final int B = 2;
    static final int T = 8;

    private TinyRun() {
    }

    /** {@code steps} AdamW steps on random tokens drawn from {@code seed}. */
    static void train(Gpt2 model, AdamW optimizer, int steps, long seed) {
        Random random = new Random(seed);
        int[] inputs = new int[B * T];  // (B, T)
        int[] targets = new int[B * T]; // (B, T)
        try (Gpt2Step step = model.newStep(B, T)) {
            for (int s = 0; s < steps; s++) {
                for (int i = 0; i < B * T; i++) {
                    inputs[i] = random.nextInt(CONFIG.vocabSize());
                    targets[i] = random.nextInt(CONFIG.vocabSize());
                }
                optimizer.zeroGrad();
                step.forwardBackward(inputs, targets, 1f);
                optimizer.step(1e-2f);
            }
        }
    }

    /** The run settings a resume compares. */
    static SequencedMap<String, String> runConfig(String model) {
        SequencedMap<String, String> c = new LinkedHashMap<>();
        c.put("model", model);
        c.put("batch", Integer.toString(B));
        c.put("seq", Integer.toString(T));
        return c;
    }

    static CheckpointState state(long step) {
        return new CheckpointState(step, new ShardLoader.Position(1, 2, 1000 + step), 42, 0x1234_5678_9abc_def0L ^ step,
                new PrecisionState(Precision.FP16, new LossScaler.State(1024f, 7, 12 + step, 1), List.of()), 2.5 + step, 3,
                runConfig("tiny"));
    }
}
