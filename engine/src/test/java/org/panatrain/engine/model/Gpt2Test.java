// Gpt2.create's initialisation (nanoGPT's) measured on the weights, the parameter table, and the
// argument checks of a step.
package org.panatrain.engine.model;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.within;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

class Gpt2Test {
    static final Gpt2Config CFG = new Gpt2Config(2, 4, 64, 32, 97);
    @RegisterExtension
    static final CpuBackend CPU = new CpuBackend();

    @Test
    void initialisesLikeNanoGpt() {
        try (Gpt2 model = Gpt2.create(CFG, CPU.kernels(), 1337)) {
            assertThat(model.parameterCount()).isEqualTo(CFG.parameterCount());
            assertThat(model.parameters()).hasSize(2 + 12 * CFG.nLayer() + 2);
            for (Parameter p : model.parameters()) {
                float[] v = TestTensors.read(CPU.kernels(), p.value());
                String n = p.name();
                if (n.contains("ln_")) {
                    assertThat(v).as(n).containsOnly(n.endsWith(".weight") ? 1f : 0f);
                } else if (n.endsWith(".bias")) {
                    assertThat(v).as(n).containsOnly(0f);
                } else {
                    double std = n.endsWith("c_proj.weight") ? 0.02 / Math.sqrt(2 * CFG.nLayer()) : 0.02;
                    assertThat(stddev(v)).as(n).isCloseTo(std, within(std * 0.1));
                    assertThat(mean(v)).as(n).isCloseTo(0, within(std * 0.1));
                }
            }
            assertThat(TestTensors.read(CPU.kernels(), model.gradientBlock())).containsOnly(0f);
        }
        try (Gpt2 a = Gpt2.create(CFG, CPU.kernels(), 7); Gpt2 b = Gpt2.create(CFG, CPU.kernels(), 7)) {
            assertThat(TestTensors.read(CPU.kernels(), a.parameter("h.1.mlp.c_fc.weight").value()))
                    .containsExactly(TestTensors.read(CPU.kernels(), b.parameter("h.1.mlp.c_fc.weight").value()));
        }
    }

    @Test
    void parameterTableHasHuggingFaceNamesShapesAndContiguousOffsets() {
        var table = ParameterSpec.table(CFG);
        assertThat(table.getFirst().name()).isEqualTo("wte.weight");
        assertThat(table.getFirst().shape()).containsExactly(97, 64);
        ParameterSpec fc = table.stream().filter(p -> p.name().equals("h.1.mlp.c_fc.weight")).findFirst().orElseThrow();
        assertThat(fc.shape()).containsExactly(64, 256);
        long offset = 0;
        for (ParameterSpec p : table) {
            assertThat(p.offset()).as(p.name()).isEqualTo(offset);
            offset += p.numel();
        }
        assertThat(offset).isEqualTo(CFG.parameterCount());
        assertThat(table).filteredOn(ParameterSpec::decays).allMatch(p -> p.name().endsWith("weight") && !p.name().contains("ln_"));
    }

    @Test
    void aStepChecksItsArguments() {
        try (Gpt2 model = Gpt2.create(CFG, CPU.kernels(), 1)) {
            assertThatThrownBy(() -> model.newStep(1, 33)).isInstanceOf(IllegalArgumentException.class)
                    .hasMessageContaining("n_positions 32");
            try (Gpt2Step step = model.newStep(1, 4)) {
                assertThatThrownBy(() -> step.loss(new int[3], new int[4])).hasMessageContaining("inputs has 3 tokens");
                assertThatThrownBy(() -> step.loss(new int[] {0, 97, 0, 0}, new int[4]))
                        .hasMessageContaining("inputs[1] = 97 is outside the vocabulary of 97");
                assertThatThrownBy(() -> step.logits(new int[4], 4)).hasMessageContaining("position 4");
            }
        }
    }

    private static double mean(float[] v) {
        double s = 0;
        for (float x : v) {
            s += x;
        }
        return s / v.length;
    }

    private static double stddev(float[] v) {
        double m = mean(v);
        double s = 0;
        for (float x : v) {
            s += (x - m) * (x - m);
        }
        return Math.sqrt(s / v.length);
    }
}
