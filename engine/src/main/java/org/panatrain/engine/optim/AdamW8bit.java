// AdamW with 8-bit moments, as bitsandbytes' block-wise 8-bit Adam (Dettmers et al. 2022,
// "8-bit Optimizers via Block-wise Quantization"): each parameter's m and v are cut into blocks
// of `block` elements; a block stores one FP32 absmax and one byte per element, the index into
// a dynamic quantization map (DynamicQuantization: signed for m, unsigned for v) of value/absmax.
// A step dequantizes a block, does PyTorch's AdamW update in FP32 (as Kernels.adamW:
// m = b1 m + (1-b1) g; v = b2 v + (1-b2) g^2; w -= lr (mhat / (sqrt(vhat) + eps) + wd w)),
// takes the block's new absmax of m and of v, and requantizes to the nearest map entries.
// State: 2 bytes a parameter plus 8 bytes per block (block 256: 2.03 bytes a parameter).
// Unlike bitsandbytes, small tensors are quantized too (it keeps tensors under 4096 elements in
// 32 bits), so that the state is 2 bytes a parameter throughout. Runs on the model's backend
// (Kernels.adamW8bit, one call per parameter); the maps live in the kernels module, shared by
// both backends.
package org.panatrain.engine.optim;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.SequencedMap;
import org.panatrain.engine.model.Gpt2;
import org.panatrain.engine.model.Parameter;
import org.panatrain.kernels.DynamicQuantization;
import org.panatrain.kernels.Kernels;
import org.panatrain.memory.DType;
import org.panatrain.memory.Tensor;

/**
 * AdamW with block-wise 8-bit moments.
 *
 * <pre>{@code
 * try (AdamW8bit opt = new AdamW8bit(model, AdamWConfig.defaults(), AdamW8bit.DEFAULT_BLOCK)) {
 *     opt.step(6e-4f);
 * }
 * }</pre>
 */
public final class AdamW8bit extends OptimizerBase {
    /** Elements per quantization block. */
    public static final int DEFAULT_BLOCK = 256;
    /** bitsandbytes' state names, followed by "." and the parameter name. */
    public static final String CODES_M = "state1";
    public static final String ABSMAX_M = "absmax1";
    public static final String CODES_V = "state2";
    public static final String ABSMAX_V = "absmax2";

    /** One parameter's quantized moments: codes (INT8 holding 0..255) and per-block absmax (FP32). */
    private record State(Tensor codesM, Tensor absmaxM, Tensor codesV, Tensor absmaxV) {
    }

    private final AdamWConfig config;
    private final int block;
    private final Kernels kernels;
    private final List<State> states; // per parameter

    public AdamW8bit(Gpt2 model, AdamWConfig config, int block) {
        super(model);
        if (block < 1) {
            throw new IllegalArgumentException("block must be positive, got " + block);
        }
        this.config = config;
        this.block = block;
        this.kernels = model.kernels();
        List<State> s = new ArrayList<>();
        List<Tensor> codesM = parameterShapedState(DType.INT8);
        List<Tensor> codesV = parameterShapedState(DType.INT8);
        List<Parameter> parameters = model.parameters();
        for (int i = 0; i < parameters.size(); i++) {
            int n = Math.toIntExact(parameters.get(i).value().numel());
            int blocks = (n + block - 1) / block;
            s.add(new State(codesM.get(i), state.allocate(DType.FP32, blocks), codesV.get(i),
                    state.allocate(DType.FP32, blocks)));
        }
        this.states = List.copyOf(s);
        fillCodes(codesM, DynamicQuantization.SIGNED.encode(0f)); // v's zero is code 0, as allocated
    }

    @Override
    public String name() {
        return "adamw8bit";
    }

    @Override
    public String description() {
        return "AdamW8bit (block-wise 8-bit moments, blocks of " + block + ", dynamic maps) betas " + config.beta1()
                + "/" + config.beta2() + ", eps " + config.eps() + ", weight decay " + config.weightDecay();
    }

    @Override
    public void step(float lr) {
        stepCount++;
        List<Parameter> parameters = model.parameters();
        for (int i = 0; i < parameters.size(); i++) {
            Parameter p = parameters.get(i);
            State s = states.get(i);
            kernels.adamW8bit(p.value(), p.grad(), s.codesM(), s.absmaxM(), s.codesV(), s.absmaxV(), block, lr,
                    config.beta1(), config.beta2(), config.eps(), p.spec().decays() ? config.weightDecay() : 0f,
                    stepCount);
        }
    }

    /** Sets every code of {@code codes} (INT8, on the backend) to {@code code}, through one host copy. */
    private void fillCodes(List<Tensor> codes, int code) {
        try (Arena host = Arena.ofShared()) { // shared: the CPU backend copies on its worker threads
            long largest = codes.stream().mapToLong(Tensor::numel).max().orElse(0);
            MemorySegment bytes = host.allocate(Math.max(1, largest));
            bytes.fill((byte) code);
            for (Tensor c : codes) {
                kernels.upload(c, Tensor.host(bytes.asSlice(0, c.numel()), DType.INT8, Math.toIntExact(c.numel())));
            }
        }
    }

    /** Per parameter: state1.NAME (m codes), absmax1.NAME, state2.NAME (v codes), absmax2.NAME. */
    @Override
    public SequencedMap<String, Tensor> stateTensors() {
        SequencedMap<String, Tensor> tensors = new LinkedHashMap<>();
        List<Parameter> parameters = model.parameters();
        for (int i = 0; i < parameters.size(); i++) {
            String name = parameters.get(i).name();
            State s = states.get(i);
            tensors.put(CODES_M + "." + name, s.codesM());
            tensors.put(ABSMAX_M + "." + name, s.absmaxM());
            tensors.put(CODES_V + "." + name, s.codesV());
            tensors.put(ABSMAX_V + "." + name, s.absmaxV());
        }
        return tensors;
    }

    /** Elements per quantization block. */
    public int block() {
        return block;
    }
}
