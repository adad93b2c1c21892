// The AdamW state as a safetensors file: every parameter's first and second moments under
// PyTorch's names (exp_avg.<param>, exp_avg_sq.<param>), the step count and hyper-parameters in
// __metadata__. Leaves out other optimizers (their state layouts come with them).
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
import org.panatrain.engine.model.Gpt2;
import org.panatrain.engine.model.Parameter;
import org.panatrain.engine.optim.AdamW;
import org.panatrain.memory.DType;
import org.panatrain.memory.Tensor;

/** Writes and reads optimizer.safetensors for a Gpt2 trained with AdamW. */
final class OptimizerStateFile {
    static final String FIRST = "exp_avg.";
    static final String SECOND = "exp_avg_sq.";

    private OptimizerStateFile() {
    }

    /** The metadata a restore must match: the model config and AdamW's hyper-parameters. */
    static Map<String, String> settings(Gpt2 model, AdamW optimizer) {
        Map<String, String> m = new LinkedHashMap<>(model.config().toMetadata());
        m.put("optimizer", "adamw");
        m.put("beta1", Float.toString(optimizer.config().beta1()));
        m.put("beta2", Float.toString(optimizer.config().beta2()));
        m.put("eps", Float.toString(optimizer.config().eps()));
        m.put("weight_decay", Float.toString(optimizer.config().weightDecay()));
        return m;
    }

    /** Downloads m and v of every parameter and writes them to {@code file} atomically. */
    static void write(Path file, Gpt2 model, AdamW optimizer) {
        long floats = 2 * model.parameterCount();
        try (Arena arena = Arena.ofShared()) { // shared: the CPU backend copies on its worker threads
            Tensor host = Tensor.host(arena.allocate(floats * Float.BYTES, 64), DType.FP32, Math.toIntExact(floats)); // (2P)
            SequencedMap<String, Tensor> tensors = new LinkedHashMap<>();
            long at = 0;
            for (Parameter p : model.parameters()) {
                at = put(tensors, FIRST + p.name(), host, at, p.m(), model);
                at = put(tensors, SECOND + p.name(), host, at, p.v(), model);
            }
            Map<String, String> metadata = new LinkedHashMap<>(settings(model, optimizer));
            metadata.put("step_count", Integer.toString(optimizer.stepCount()));
            Safetensors.write(file, metadata, tensors);
        }
    }

    private static long put(SequencedMap<String, Tensor> tensors, String name, Tensor host, long at, Tensor device,
                            Gpt2 model) {
        Tensor slice = host.slice(at, device.shape());
        model.kernels().download(slice, device);
        tensors.put(name, slice);
        return at + device.numel();
    }

    /**
     * Checks that {@code f} holds the moments of every parameter with the model's shapes and the
     * same settings; returns them in parameter order (m, v, m, v, ...) and the step count.
     */
    static Moments check(SafetensorsFile f, Gpt2 model, AdamW optimizer) {
        Map<String, String> expected = settings(model, optimizer);
        for (Map.Entry<String, String> e : expected.entrySet()) {
            String found = f.metadata().get(e.getKey());
            if (!e.getValue().equals(found)) {
                throw new BadInputException(f.file(), "optimizer state is for " + e.getKey() + " = " + found
                        + ", this run has " + e.getValue());
            }
        }
        List<Tensor> tensors = new ArrayList<>();
        for (Parameter p : model.parameters()) {
            tensors.add(f.require(FIRST + p.name(), DType.FP32, p.spec().shape()));
            tensors.add(f.require(SECOND + p.name(), DType.FP32, p.spec().shape()));
        }
        String count = f.metadata().get("step_count");
        try {
            return new Moments(tensors, Integer.parseInt(count));
        } catch (NumberFormatException e) {
            throw new BadInputException(f.file(), "__metadata__ step_count is \"" + count + "\", not an integer");
        }
    }

    /** Host views of the moments (m, v per parameter, in parameter order) and the step count. */
    record Moments(List<Tensor> tensors, int stepCount) {
    }
}
