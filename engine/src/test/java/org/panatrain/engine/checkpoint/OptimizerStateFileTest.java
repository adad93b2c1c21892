// optimizer.safetensors as files written elsewhere: an AdamW file in the layout written before the
// generic format (hyper-parameters as beta1/beta2/eps/weight_decay keys, no "hyperparameters")
// restores its moments and step count; a file with a tensor missing, of another dtype or of another
// shape is refused with one line naming the file, and the optimizer keeps its state. A state.json
// without data.shard (written before the shard loader's position) reads as shard 0.
package org.panatrain.engine.checkpoint;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.lang.foreign.Arena;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.SequencedMap;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.panatrain.engine.data.ShardLoader;
import org.panatrain.engine.io.BadInputException;
import org.panatrain.engine.io.Json;
import org.panatrain.engine.io.Safetensors;
import org.panatrain.engine.io.SafetensorsFile;
import org.panatrain.engine.model.Gpt2;
import org.panatrain.engine.model.Parameter;
import org.panatrain.engine.optim.AdamW;
import org.panatrain.engine.optim.AdamWConfig;
import org.panatrain.engine.optim.Optimizer;
import org.panatrain.engine.optim.OptimizerKind;
import org.panatrain.kernels.Kernels;
import org.panatrain.kernels.cpu.CpuKernels;
import org.panatrain.memory.DType;
import org.panatrain.memory.Tensor;

class OptimizerStateFileTest {
    @TempDir
    Path tmp;

    /** The moments of parameter i, element j: m = i + j / 1024, v = -(i + j / 1024). */
    private static float moment(int i, long j) {
        return i + j / 1024f;
    }

    /** Writes an AdamW file as the AdamW-only format did, with {@code dtype} and shape of exp_avg.wte.weight as given. */
    private Path oldAdamWFile(Gpt2 model, Arena arena, String drop, DType wteDType, int[] wteShape) {
        Map<String, String> metadata = new LinkedHashMap<>(model.config().toMetadata());
        metadata.put("optimizer", "adamw");
        metadata.put("beta1", "0.9");
        metadata.put("beta2", "0.95");
        metadata.put("eps", "1.0E-8");
        metadata.put("weight_decay", "0.0");
        metadata.put("step_count", "7");
        SequencedMap<String, Tensor> tensors = new LinkedHashMap<>();
        int i = 0;
        for (Parameter p : model.parameters()) {
            for (String prefix : new String[] {"exp_avg.", "exp_avg_sq."}) {
                String name = prefix + p.name();
                boolean odd = name.equals("exp_avg.wte.weight");
                DType dtype = odd ? wteDType : DType.FP32;
                int[] shape = odd ? wteShape : p.spec().shape();
                Tensor t = Tensor.host(arena.allocate(Tensor.numel(shape) * dtype.byteSize(), 64), dtype, shape);
                if (dtype == DType.FP32) {
                    for (long j = 0; j < t.numel(); j++) {
                        t.setFloat(j, prefix.equals("exp_avg.") ? moment(i, j) : -moment(i, j));
                    }
                }
                if (!name.equals(drop)) {
                    tensors.put(name, t);
                }
            }
            i++;
        }
        Path file = tmp.resolve("optimizer-" + System.nanoTime() + ".safetensors");
        Safetensors.write(file, metadata, tensors);
        return file;
    }

    @Test
    void anAdamWFileOfTheEarlierLayoutRestores() {
        try (Kernels k = CpuKernels.create(1); Gpt2 model = Gpt2.create(TinyRun.CONFIG, k, 1);
             AdamW adamw = new AdamW(model, AdamWConfig.defaults().withWeightDecay(0f)); Arena arena = Arena.ofConfined()) {
            Path file = oldAdamWFile(model, arena, "", DType.FP32, model.parameters().getFirst().spec().shape());
            try (SafetensorsFile f = SafetensorsFile.open(file)) {
                OptimizerStateFile.restore(adamw, OptimizerStateFile.check(f, adamw));
            }
            assertThat(adamw.stepCount()).isEqualTo(7);
            int i = 0;
            SequencedMap<String, Tensor> state = adamw.stateTensors();
            for (Parameter p : model.parameters()) {
                Tensor m = state.get(AdamW.FIRST_MOMENT + "." + p.name());
                Tensor v = state.get(AdamW.SECOND_MOMENT + "." + p.name());
                for (long j = 0; j < m.numel(); j += 97) {
                    assertThat(m.getFloat(j)).isEqualTo(moment(i, j));
                    assertThat(v.getFloat(j)).isEqualTo(-moment(i, j));
                }
                i++;
            }
        }
    }

    @Test
    void aMissingOrMismatchedTensorIsRefusedBeforeAnythingChanges() {
        try (Kernels k = CpuKernels.create(1); Gpt2 model = Gpt2.create(TinyRun.CONFIG, k, 1);
             AdamW adamw = new AdamW(model, AdamWConfig.defaults().withWeightDecay(0f)); Arena arena = Arena.ofConfined()) {
            assertThat(model.parameters().getFirst().name()).isEqualTo("wte.weight");
            int[] shape = model.parameters().getFirst().spec().shape();
            byte[] before = ModelSnapshot.stateBytes(adamw);
            assertRefused(adamw, oldAdamWFile(model, arena, "exp_avg_sq.wpe.weight", DType.FP32, shape),
                    "missing tensor exp_avg_sq.wpe.weight");
            assertRefused(adamw, oldAdamWFile(model, arena, "", DType.INT8, shape),
                    "tensor exp_avg.wte.weight has dtype I8 but F32 is needed");
            assertRefused(adamw, oldAdamWFile(model, arena, "", DType.FP32, new int[] {shape[1], shape[0]}),
                    "tensor exp_avg.wte.weight has shape");
            assertThat(ModelSnapshot.stateBytes(adamw)).isEqualTo(before);
            assertThat(adamw.stepCount()).isZero();
        }
    }

    @Test
    void adamW8bitCodesMustBeInt8() {
        try (Kernels k = CpuKernels.create(1); Gpt2 model = Gpt2.create(TinyRun.CONFIG, k, 1);
             Optimizer eightBit = OptimizerKind.ADAMW8BIT.create(model, 0f)) {
            Path file = tmp.resolve("8bit.safetensors");
            OptimizerStateFile.write(file, eightBit);
            try (SafetensorsFile f = SafetensorsFile.open(file)) {
                assertThat(eightBit.stateTensors().entrySet()).allSatisfy(e ->
                        assertThat(f.entry(e.getKey()).dtype()).isEqualTo(e.getValue().dtype()));
                assertThat(f.entry("state1.wte.weight").dtype()).isEqualTo(DType.INT8);
            }
        }
    }

    private static void assertRefused(Optimizer optimizer, Path file, String message) {
        try (SafetensorsFile f = SafetensorsFile.open(file)) {
            assertThatThrownBy(() -> OptimizerStateFile.check(f, optimizer))
                    .isInstanceOf(BadInputException.class)
                    .hasMessageContaining(file.getFileName().toString()).hasMessageContaining(message)
                    .message().doesNotContain("\n");
        }
    }

    @Test
    void aStateWithoutShardIsTheSequentialReadersShardZero() {
        CheckpointState state = TinyRun.state(3);
        @SuppressWarnings("unchecked")
        Map<String, Object> json = (Map<String, Object>) Json.parse(Json.write(state.toJson(Map.of())));
        ((Map<?, ?>) json.get("data")).remove("shard");
        CheckpointState read = CheckpointState.fromJson(tmp.resolve("state.json"), json);
        assertThat(read.data()).isEqualTo(new ShardLoader.Position(state.data().epoch(), 0, state.data().offset()));
    }
}
