// The child process of CheckpointKillTest: builds the tiny run and saves its checkpoint of
// step 2 into the directory given; the test sets panatrain.checkpoint.pauseMillis so that the
// save is slow enough to be killed at each of its stages.
package org.panatrain.engine.checkpoint;

import java.nio.file.Path;
import org.panatrain.engine.model.Gpt2;
import org.panatrain.engine.optim.AdamW;
import org.panatrain.engine.optim.AdamWConfig;
import org.panatrain.kernels.Kernels;
import org.panatrain.kernels.cpu.CpuKernels;

public final class SaveCheckpointMain {
    private SaveCheckpointMain() {
    }

    public static void main(String[] args) {
        try (Kernels k = CpuKernels.create(1); Gpt2 model = Gpt2.create(TinyRun.CONFIG, k, 5);
             AdamW optimizer = new AdamW(model, AdamWConfig.defaults())) {
            TinyRun.train(model, optimizer, 2, 6);
            new CheckpointStore(Path.of(args[0]), System.err::println).save(model, optimizer, TinyRun.state(2));
        }
    }
}
