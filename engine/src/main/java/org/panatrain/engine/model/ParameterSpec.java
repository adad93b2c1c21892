// One row of the GPT-2 parameter table: Hugging Face name, shape, and element offset in the
// model's single parameter block (llm.c style: one allocation, sliced into views).
package org.panatrain.engine.model;

import java.util.ArrayList;
import java.util.List;
import org.panatrain.memory.Tensor;

/**
 * A parameter's name, shape and offset (in elements) within the parameter block.
 *
 * <pre>{@code
 * for (ParameterSpec p : ParameterSpec.table(Gpt2Config.named("gpt2-tiny"))) {
 *     System.out.println(p.name() + " " + Arrays.toString(p.shape()));
 * }
 * }</pre>
 */
public record ParameterSpec(String name, int[] shape, long offset) {

    public ParameterSpec {
        shape = shape.clone();
    }

    @Override
    public int[] shape() {
        return shape.clone();
    }

    /** Number of elements. */
    public long numel() {
        return Tensor.numel(shape);
    }

    /** True for the tensors nanoGPT decays: weights and embeddings (2+ dims), not biases or norms. */
    public boolean decays() {
        return shape.length >= 2;
    }

    /** The parameter table of {@code cfg}, in GPT-2's declaration order; offsets are contiguous. */
    public static List<ParameterSpec> table(Gpt2Config cfg) {
        int C = cfg.nEmbd();
        int V = cfg.vocabSize();
        int maxT = cfg.nPositions();
        Builder b = new Builder();
        b.add("wte.weight", V, C);
        b.add("wpe.weight", maxT, C);
        for (int l = 0; l < cfg.nLayer(); l++) {
            String h = "h." + l + ".";
            b.add(h + "ln_1.weight", C);
            b.add(h + "ln_1.bias", C);
            b.add(h + "attn.c_attn.weight", C, 3 * C);
            b.add(h + "attn.c_attn.bias", 3 * C);
            b.add(h + "attn.c_proj.weight", C, C);
            b.add(h + "attn.c_proj.bias", C);
            b.add(h + "ln_2.weight", C);
            b.add(h + "ln_2.bias", C);
            b.add(h + "mlp.c_fc.weight", C, 4 * C);
            b.add(h + "mlp.c_fc.bias", 4 * C);
            b.add(h + "mlp.c_proj.weight", 4 * C, C);
            b.add(h + "mlp.c_proj.bias", C);
        }
        b.add("ln_f.weight", C);
        b.add("ln_f.bias", C);
        return List.copyOf(b.specs);
    }

    private static final class Builder {
        final List<ParameterSpec> specs = new ArrayList<>();
        long offset;

        void add(String name, int... shape) {
            ParameterSpec p = new ParameterSpec(name, shape, offset);
            specs.add(p);
            offset += p.numel();
        }
    }
}
