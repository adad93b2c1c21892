// Checkpoint save/resume: a bit-exact round trip (tensors, and the precision state: loss scaler
// and FP8 amax histories with NaN, infinities and subnormals), fallback past an unfinished or corrupted
// checkpoint with a warning naming it, refusal of another config or format version before
// anything changes, and pruning.
package org.panatrain.engine.checkpoint;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.panatrain.engine.data.ShardLoader;
import org.panatrain.engine.io.BadInputException;
import org.panatrain.engine.model.Gpt2;
import org.panatrain.engine.model.Gpt2Config;
import org.panatrain.engine.optim.AdamW;
import org.panatrain.engine.optim.AdamWConfig;
import org.panatrain.engine.precision.Fp8DelayedScaling;
import org.panatrain.engine.precision.LossScaler;
import org.panatrain.engine.precision.Precision;
import org.panatrain.engine.precision.PrecisionState;
import org.panatrain.kernels.Kernels;
import org.panatrain.kernels.cpu.CpuKernels;
import org.panatrain.memory.DType;

class CheckpointStoreTest {
    private static Kernels kernels;

    @TempDir
    Path root;

    private final List<String> warnings = new ArrayList<>();

    @BeforeAll
    static void startBackend() {
        kernels = CpuKernels.create(2);
    }

    @AfterAll
    static void stopBackend() {
        kernels.close();
    }

    private CheckpointStore store() {
        return new CheckpointStore(root, warnings::add);
    }

    /** Saves checkpoints of steps 1 and 2 of one tiny run; returns the bits at step 2. */
    private byte[] saveSteps1And2() {
        try (Gpt2 model = Gpt2.create(TinyRun.CONFIG, kernels, 1); AdamW opt = new AdamW(model, AdamWConfig.defaults())) {
            TinyRun.train(model, opt, 1, 2);
            store().save(model, opt, TinyRun.state(1));
            TinyRun.train(model, opt, 1, 3);
            store().save(model, opt, TinyRun.state(2));
            return ModelSnapshot.weightsAndState(opt);
        }
    }

    /** Restores the latest checkpoint into a fresh model; returns its bits and checks the step count. */
    private byte[] restoreLatest(long expectedStep) {
        Checkpoint found = store().latest(TinyRun.runConfig("tiny")).orElseThrow();
        assertThat(found.state()).isEqualTo(TinyRun.state(expectedStep));
        try (Gpt2 model = Gpt2.create(TinyRun.CONFIG, kernels, 99); AdamW opt = new AdamW(model, AdamWConfig.defaults())) {
            found.restore(model, opt);
            assertThat(opt.stepCount()).isEqualTo((int) expectedStep);
            return ModelSnapshot.weightsAndState(opt);
        }
    }

    @Test
    void roundTripIsBitExact() {
        byte[] saved = saveSteps1And2();
        assertThat(restoreLatest(2)).isEqualTo(saved);
        assertThat(warnings).isEmpty();
        assertThat(root.resolve("step-00000002").resolve(CheckpointStore.COMMIT_FILE)).exists();
        // The weights file is an ordinary model file (what export hands out).
        try (Gpt2 loaded = Gpt2.load(root.resolve("step-00000002").resolve(CheckpointStore.MODEL_FILE), kernels)) {
            assertThat(loaded.config()).isEqualTo(TinyRun.CONFIG);
        }
    }

    @Test
    void precisionStateRoundTripsBitForBit() throws IOException {
        float[] e4m3History = {0.1f, Float.NaN, Float.POSITIVE_INFINITY, Float.MAX_VALUE, 1e-40f, 0f, 3.3333333f};
        float[] e5m2History = {Float.NEGATIVE_INFINITY, 7f, 0x1.fffffep-3f};
        PrecisionState precision = new PrecisionState(Precision.FP8, new LossScaler.State(1f, 0, 9, 0), List.of(
                new Fp8DelayedScaling.State(DType.FP8_E4M3, 448f / 3.3333333f, e4m3History, 3),
                new Fp8DelayedScaling.State(DType.FP8_E5M2, 0.7f, e5m2History, 0)));
        CheckpointState state = new CheckpointState(9, new ShardLoader.Position(0, 3, 99), 5, 17, precision, 1.25, 2, TinyRun.runConfig("tiny"));
        try (Gpt2 model = Gpt2.create(TinyRun.CONFIG, kernels, 1); AdamW opt = new AdamW(model, AdamWConfig.defaults())) {
            store().save(model, opt, state);
        }
        Checkpoint found = store().latest(TinyRun.runConfig("tiny")).orElseThrow();
        assertThat(found.state()).isEqualTo(state);
        List<Fp8DelayedScaling.State> fp8 = found.state().precision().fp8();
        for (int i = 0; i < e4m3History.length; i++) {
            assertThat(Float.floatToRawIntBits(fp8.get(0).amaxHistory()[i])).isEqualTo(Float.floatToRawIntBits(e4m3History[i]));
        }
        String json = Files.readString(root.resolve("step-00000009").resolve(CheckpointStore.STATE_FILE));
        assertThat(json).contains("\"precision\":\"fp8\"").contains("\"format\":\"fp8_e5m2\"").contains("\"NaN\"")
                .contains("\"data\":{\"epoch\":0,\"shard\":3,\"position\":99,\"shuffle_seed\":5}");
    }

    @Test
    void missingMarkerFallsBackToThePreviousCheckpoint() throws IOException {
        byte[] atStep2 = saveSteps1And2();
        Files.delete(root.resolve("step-00000002").resolve(CheckpointStore.COMMIT_FILE));
        byte[] restored = restoreLatest(1);
        assertThat(restored).isNotEqualTo(atStep2);
        assertThat(warnings).singleElement().asString().contains("step-00000002").contains("no COMMIT marker");
    }

    @Test
    void wrongChecksumFallsBackToThePreviousCheckpoint() throws IOException {
        saveSteps1And2();
        Path optimizer = root.resolve("step-00000002").resolve(CheckpointStore.OPTIMIZER_FILE);
        byte[] bytes = Files.readAllBytes(optimizer);
        bytes[bytes.length - 3] ^= 0x10;
        Files.write(optimizer, bytes);
        restoreLatest(1);
        assertThat(warnings).singleElement().asString().contains("step-00000002")
                .contains("optimizer.safetensors has checksum");
    }

    @Test
    void editedStateFileFallsBack() throws IOException {
        saveSteps1And2();
        Path state = root.resolve("step-00000002").resolve(CheckpointStore.STATE_FILE);
        Files.writeString(state, Files.readString(state).replace("\"step\":2", "\"step\":3"));
        restoreLatest(1);
        assertThat(warnings).singleElement().asString().contains("state.json does not match the checksum in COMMIT");
    }

    @Test
    void anotherConfigIsRefusedBeforeAnythingChanges() {
        saveSteps1And2();
        assertThatThrownBy(() -> store().latest(TinyRun.runConfig("other")))
                .isInstanceOf(BadInputException.class)
                .hasMessageContaining("step-00000002").hasMessageContaining("another config: model is tiny there, other");
        // A model of another shape: restore checks every tensor first and changes nothing.
        Checkpoint found = store().latest(TinyRun.runConfig("tiny")).orElseThrow();
        try (Gpt2 model = Gpt2.create(new Gpt2Config(1, 2, 32, 16, 23), kernels, 4);
             AdamW opt = new AdamW(model, AdamWConfig.defaults())) {
            byte[] before = ModelSnapshot.weightsAndState(opt);
            assertThatThrownBy(() -> found.restore(model, opt)).isInstanceOf(BadInputException.class)
                    .hasMessageContaining("n_layer");
            assertThat(ModelSnapshot.weightsAndState(opt)).isEqualTo(before);
            assertThat(opt.stepCount()).isZero();
        }
    }

    @Test
    void anotherFormatVersionIsRefused() throws Exception {
        saveSteps1And2();
        Path dir = root.resolve("step-00000002");
        Path state = dir.resolve(CheckpointStore.STATE_FILE);
        Files.writeString(state, Files.readString(state).replace("\"format_version\":1", "\"format_version\":2"));
        // Re-commit it with its new SHA-256 (computed here), so that only the version is wrong.
        String sha = HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(Files.readAllBytes(state)));
        Files.writeString(dir.resolve(CheckpointStore.COMMIT_FILE), "sha256:" + sha + "\n", StandardCharsets.UTF_8);
        assertThatThrownBy(() -> store().latest(TinyRun.runConfig("tiny")))
                .isInstanceOf(BadInputException.class).hasMessageContaining("format version 2");
    }

    @Test
    void pruneKeepsTheNewestCommitted() throws IOException {
        try (Gpt2 model = Gpt2.create(TinyRun.CONFIG, kernels, 1); AdamW opt = new AdamW(model, AdamWConfig.defaults())) {
            for (int step = 1; step <= 4; step++) {
                store().save(model, opt, TinyRun.state(step));
            }
        }
        Files.delete(root.resolve("step-00000004").resolve(CheckpointStore.COMMIT_FILE));
        Files.createDirectory(root.resolve("step-00000005.tmp"));
        store().prune(2);
        try (var names = Files.list(root)) {
            assertThat(names.map(p -> p.getFileName().toString()).sorted().toList())
                    .containsExactly("step-00000002", "step-00000003", "step-00000004");
        }
    }

    @Test
    void openVerifiesOneDirectory() throws IOException {
        saveSteps1And2();
        assertThat(CheckpointStore.open(root.resolve("step-00000001")).state()).isEqualTo(TinyRun.state(1));
        Files.delete(root.resolve("step-00000002").resolve(CheckpointStore.MODEL_FILE));
        assertThatThrownBy(() -> CheckpointStore.open(root.resolve("step-00000002")))
                .isInstanceOf(BadInputException.class).hasMessageContaining("no model.safetensors");
        assertThat(store().latest().orElseThrow().state().step()).isEqualTo(1);
    }

    @Test
    void emptyDirectoryHasNoCheckpoint() {
        assertThat(store().latest(TinyRun.runConfig("tiny"))).isEmpty();
    }
}
