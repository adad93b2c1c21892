// One complete, verified checkpoint directory (commit marker present, checksums right, format
// and config matching the run) and the restore of its tensors into a live model and optimizer.
// Leaves out finding it (CheckpointStore.latest does that).
package org.panatrain.engine.checkpoint;

import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import org.panatrain.engine.io.BadInputException;
import org.panatrain.engine.io.SafetensorsFile;
import org.panatrain.engine.model.Gpt2;
import org.panatrain.engine.model.Parameter;
import org.panatrain.engine.optim.Optimizer;
import org.panatrain.memory.DType;
import org.panatrain.memory.Tensor;

/**
 * A checkpoint found by {@link CheckpointStore#latest}.
 *
 * <pre>{@code
 * Optional<Checkpoint> found = store.latest(runConfig);
 * if (found.isPresent()) {
 *     found.get().restore(model, optimizer);   // weights, optimizer state, step count
 *     batches.seek(found.get().state().data());
 * }
 * }</pre>
 *
 * @param directory the step-NNNNNNNN directory
 * @param state     its state.json
 */
public record Checkpoint(Path directory, CheckpointState state) {
    /** The master weights: a safetensors file {@link Gpt2#load} reads. */
    public Path modelFile() {
        return directory.resolve(CheckpointStore.MODEL_FILE);
    }

    /** The optimizer state tensors and step count. */
    public Path optimizerFile() {
        return directory.resolve(CheckpointStore.OPTIMIZER_FILE);
    }

    /**
     * Copies the weights, the optimizer's state tensors and step count into {@code model} and
     * {@code optimizer}. Every tensor and setting is checked first; a mismatch is a
     * BadInputException and leaves both unchanged.
     */
    public void restore(Gpt2 model, Optimizer optimizer) {
        try (SafetensorsFile weights = SafetensorsFile.open(modelFile());
             SafetensorsFile optimizerState = SafetensorsFile.open(optimizerFile())) {
            for (Map.Entry<String, String> e : model.config().toMetadata().entrySet()) {
                String found = weights.metadata().get(e.getKey());
                if (!e.getValue().equals(found)) {
                    throw new BadInputException(weights.file(), "weights are for " + e.getKey() + " = " + found
                            + ", the model has " + e.getValue());
                }
            }
            List<Parameter> parameters = model.parameters();
            Tensor[] values = new Tensor[parameters.size()];
            for (int i = 0; i < values.length; i++) {
                Parameter p = parameters.get(i);
                values[i] = weights.require(p.name(), DType.FP32, p.spec().shape());
            }
            OptimizerStateFile.State state = OptimizerStateFile.check(optimizerState, optimizer);
            for (int i = 0; i < values.length; i++) {
                model.kernels().upload(parameters.get(i).value(), values[i]);
            }
            OptimizerStateFile.restore(optimizer, state);
        }
    }
}
