// Any optimizer's state as a safetensors file: its state tensors under the names
// Optimizer.stateTensors gives (AdamW: exp_avg.<param>, exp_avg_sq.<param>, as PyTorch; Lion,
// Adafactor and AdamW8bit their own) in the dtypes they have (FP32, INT8 for 8-bit codes), with
// the model config, the optimizer's name and hyper-parameters and the step count in __metadata__.
// Files written before the hyper-parameters were recorded as one string (AdamW only) still load.
// Leaves out state that is not a tensor (scratch buffers are recomputed every step).
package org.panatrain.engine.checkpoint;

import java.lang.foreign.Arena;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.SequencedMap;
import org.panatrain.engine.io.BadInputException;
import org.panatrain.engine.io.Safetensors;
import org.panatrain.engine.io.SafetensorsFile;
import org.panatrain.engine.optim.Optimizer;
import org.panatrain.memory.Tensor;

/** Writes and reads optimizer.safetensors for any {@link Optimizer}. */
final class OptimizerStateFile {
    /** __metadata__ key of {@link Optimizer#description()}: the hyper-parameters a restore must match. */
    static final String HYPERPARAMETERS = "hyperparameters";
    static final String STEP_COUNT = "step_count";

    private OptimizerStateFile() {
    }

    /** The metadata a restore must match: the model config and the optimizer's name. */
    private static Map<String, String> settings(Optimizer optimizer) {
        Map<String, String> m = new LinkedHashMap<>(optimizer.model().config().toMetadata());
        m.put("optimizer", optimizer.name());
        return m;
    }

    /** Downloads every state tensor of {@code optimizer} and writes them to {@code file}. */
    static void write(Path file, Optimizer optimizer) {
        try (Arena arena = Arena.ofShared()) { // shared: the CPU backend copies on its worker threads
            SequencedMap<String, Tensor> tensors = new LinkedHashMap<>();
            for (Map.Entry<String, Tensor> e : optimizer.stateTensors().entrySet()) {
                Tensor live = e.getValue();
                Tensor host = Tensor.host(arena.allocate(live.byteSize(), 64), live.dtype(), live.shape());
                optimizer.model().kernels().download(host, live);
                tensors.put(e.getKey(), host);
            }
            Map<String, String> metadata = new LinkedHashMap<>(settings(optimizer));
            metadata.put(HYPERPARAMETERS, optimizer.description());
            metadata.put(STEP_COUNT, Integer.toString(optimizer.stepCount()));
            Safetensors.write(file, metadata, tensors);
        }
    }

    /**
     * Checks that {@code f} holds exactly the state tensors of {@code optimizer}, each with its
     * dtype and shape, and the same settings; returns the file's tensors in the optimizer's
     * order and the step count. Changes nothing.
     */
    static State check(SafetensorsFile f, Optimizer optimizer) {
        for (Map.Entry<String, String> e : settings(optimizer).entrySet()) {
            String found = f.metadata().get(e.getKey());
            if (!e.getValue().equals(found)) {
                throw new BadInputException(f.file(), "optimizer state is for " + e.getKey() + " = " + found
                        + ", this run has " + e.getValue());
            }
        }
        String hyper = f.metadata().get(HYPERPARAMETERS);
        if (hyper != null && !hyper.equals(optimizer.description())) {
            throw new BadInputException(f.file(), "optimizer state is for \"" + hyper + "\", this run has \""
                    + optimizer.description() + "\"");
        }
        SequencedMap<String, Tensor> live = optimizer.stateTensors();
        List<Tensor> tensors = new ArrayList<>();
        for (Map.Entry<String, Tensor> e : live.entrySet()) {
            tensors.add(f.require(e.getKey(), e.getValue().dtype(), e.getValue().shape()));
        }
        for (String name : f.names()) {
            if (!live.containsKey(name)) {
                throw new BadInputException(f.file(), "tensor " + name + " is not part of " + optimizer.name()
                        + "'s state");
            }
        }
        String count = f.metadata().get(STEP_COUNT);
        try {
            return new State(tensors, Integer.parseInt(count));
        } catch (NumberFormatException e) {
            throw new BadInputException(f.file(), "__metadata__ step_count is \"" + count + "\", not an integer");
        }
    }

    /** Copies {@code state} (from {@link #check}) into the optimizer's live tensors and step count. */
    static void restore(Optimizer optimizer, State state) {
        int i = 0;
        for (Tensor live : optimizer.stateTensors().values()) {
            optimizer.model().kernels().upload(live, state.tensors().get(i++));
        }
        optimizer.restoreStepCount(state.stepCount());
    }

    /** Host views of the state tensors (in {@link Optimizer#stateTensors()} order) and the step count. */
    record State(List<Tensor> tensors, int stepCount) {
    }
}
