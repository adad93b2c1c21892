// Saving and loading GPT-2 weights: a round trip is bit-exact, Hugging Face's "transformer."
// prefix is accepted, and every bad file is a one-line BadInputException naming the file.
package org.panatrain.engine.model;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.lang.foreign.Arena;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Random;
import java.util.SequencedMap;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.io.TempDir;
import org.panatrain.engine.io.BadInputException;
import org.panatrain.engine.io.Safetensors;
import org.panatrain.engine.io.SafetensorsFile;
import org.panatrain.memory.DType;
import org.panatrain.memory.Tensor;

class Gpt2IoTest {
    static final Gpt2Config CFG = new Gpt2Config(2, 2, 8, 6, 13);
    @RegisterExtension
    static final CpuBackend CPU = new CpuBackend();

    @TempDir
    Path dir;

    @Test
    void saveThenLoadGivesTheSameConfigAndBitIdenticalWeights() {
        Path file = dir.resolve("model.safetensors");
        int[] tokens = {1, 5, 7, 12, 0, 3, 3, 9};
        int[] targets = {5, 7, 12, 0, 3, 3, 9, 2};
        try (Gpt2 saved = Gpt2.create(CFG, CPU.kernels(), 42); Gpt2Step s1 = saved.newStep(2, 4)) {
            saved.save(file);
            try (SafetensorsFile f = SafetensorsFile.open(file)) {
                assertThat(f.metadata()).containsEntry("n_embd", "8").containsEntry("vocab_size", "13");
                assertThat(f.require("h.1.attn.c_attn.weight", DType.FP32, 8, 24)).isNotNull();
                assertThat(f.names()).hasSize(ParameterSpec.table(CFG).size());
            }
            try (Gpt2 loaded = Gpt2.load(file, CPU.kernels()); Gpt2Step s2 = loaded.newStep(2, 4)) {
                assertThat(loaded.config()).isEqualTo(CFG);
                for (Parameter p : saved.parameters()) {
                    assertThat(TestTensors.read(CPU.kernels(), loaded.parameter(p.name()).value()))
                            .as(p.name()).containsExactly(TestTensors.read(CPU.kernels(), p.value()));
                }
                assertThat(s2.loss(tokens, targets)).isEqualTo(s1.loss(tokens, targets));
            }
        }
    }

    @Test
    void acceptsTheTransformerPrefixOfHuggingFaceFiles() {
        Path file = dir.resolve("hf.safetensors");
        try (Arena arena = Arena.ofShared()) { // shared: the CPU backend copies on its worker threads
            SequencedMap<String, Tensor> tensors = randomWeights(arena, CFG);
            SequencedMap<String, Tensor> prefixed = new LinkedHashMap<>();
            tensors.forEach((name, t) -> prefixed.put("transformer." + name, t));
            prefixed.put("transformer.h.0.attn.bias", randomTensor(arena, new Random(1), 1, 1, 6, 6)); // HF mask buffer: ignored
            Safetensors.write(file, CFG.toMetadata(), prefixed);
            try (Gpt2 model = Gpt2.load(file, CPU.kernels())) {
                for (Parameter p : model.parameters()) {
                    assertThat(TestTensors.read(CPU.kernels(), p.value())).as(p.name())
                            .containsExactly(tensors.get(p.name()).toFloatArray());
                }
            }
        }
    }

    @Test
    void aMissingTensorIsBadInput() {
        assertBadInput(CFG.toMetadata(), t -> t.remove("h.1.mlp.c_fc.bias"), "missing tensor h.1.mlp.c_fc.bias");
    }

    @Test
    void aShapeThatContradictsTheConfigIsBadInputEvenInTheLastTensor() {
        Map<String, String> meta = new LinkedHashMap<>(CFG.toMetadata());
        assertBadInput(meta, t -> t.put("ln_f.bias", t.get("ln_f.bias").view(2, 4)), "tensor ln_f.bias has shape [2, 4]");
        meta.put("n_positions", "7");
        assertBadInput(meta, t -> { }, "tensor wpe.weight has shape [6, 8] but the config needs [7, 8]");
    }

    @Test
    void aBadConfigIsBadInput() {
        Map<String, String> meta = new LinkedHashMap<>(CFG.toMetadata());
        meta.put("n_head", "3");
        assertBadInput(meta, t -> { }, "n_head 3 does not divide n_embd 8");
        meta.remove("n_head");
        assertBadInput(meta, t -> { }, "__metadata__ has no n_head");
        meta.put("n_head", "two");
        assertBadInput(meta, t -> { }, "__metadata__ n_head is \"two\", not an integer");
    }

    private void assertBadInput(Map<String, String> metadata,
                                java.util.function.Consumer<SequencedMap<String, Tensor>> damage, String problem) {
        Path file = dir.resolve("bad.safetensors");
        try (Arena arena = Arena.ofShared()) { // shared: the CPU backend copies on its worker threads
            SequencedMap<String, Tensor> tensors = randomWeights(arena, CFG);
            damage.accept(tensors);
            Safetensors.write(file, metadata, tensors);
        }
        assertThatThrownBy(() -> Gpt2.load(file, CPU.kernels()))
                .isInstanceOf(BadInputException.class)
                .hasMessageStartingWith(file + ": ")
                .hasMessageContaining(problem)
                .satisfies(e -> assertThat(e.getMessage()).doesNotContain("\n"));
    }

    private static SequencedMap<String, Tensor> randomWeights(Arena arena, Gpt2Config cfg) {
        Random random = new Random(5);
        SequencedMap<String, Tensor> tensors = new LinkedHashMap<>();
        for (ParameterSpec p : ParameterSpec.table(cfg)) {
            tensors.put(p.name(), randomTensor(arena, random, p.shape()));
        }
        return tensors;
    }

    private static Tensor randomTensor(Arena arena, Random random, int... shape) {
        Tensor t = Tensor.host(arena.allocate(Tensor.numel(shape) * 4, 64), DType.FP32, shape);
        for (long i = 0; i < t.numel(); i++) {
            t.setFloat(i, (float) random.nextGaussian());
        }
        return t;
    }
}
