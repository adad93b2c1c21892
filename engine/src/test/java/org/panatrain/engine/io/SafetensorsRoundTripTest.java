// Writing then reading safetensors (names, order, dtypes, shapes, bytes, metadata, header
// padding, temp-and-rename), and reading a file made by an independent Python writer.
package org.panatrain.engine.io;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.net.URISyntaxException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.SequencedMap;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.panatrain.memory.DType;
import org.panatrain.memory.HostArena;
import org.panatrain.memory.Tensor;

class SafetensorsRoundTripTest {
    @TempDir
    Path dir;

    @Test
    void writtenFilesReadBackWithTheSameNamesShapesBytesAndMetadata() throws IOException {
        Random random = new Random(7);
        try (HostArena arena = new HostArena()) {
            SequencedMap<String, Tensor> tensors = new LinkedHashMap<>();
            tensors.put("wte.weight", arena.allocate(DType.FP32, 5, 3));   // (V, C)
            tensors.put("h.0.ln_1.bias", arena.allocate(DType.BF16, 3));
            tensors.put("odd", arena.allocate(DType.FP8_E4M3, 3));        // puts what follows at an odd offset
            tensors.put("h.0.attn.bias", arena.allocate(DType.FP16, 2, 2));
            tensors.put("ids", arena.allocate(DType.UINT16, 7));
            tensors.put("i8", arena.allocate(DType.INT8, 1));
            tensors.put("e5", arena.allocate(DType.FP8_E5M2, 2));
            tensors.put("count", arena.allocate(DType.INT32));             // scalar, shape []
            tensors.put("empty", arena.allocate(DType.FP32, 0, 4));
            for (Tensor t : tensors.values()) {
                for (long i = 0; i < t.byteSize(); i++) {
                    t.data().set(ValueLayout.JAVA_BYTE, i, (byte) random.nextInt());
                }
            }
            Map<String, String> metadata = new LinkedHashMap<>();
            metadata.put("n_layer", "2");
            metadata.put("note", "quotes \" and \\ and é and \n");
            Path f = dir.resolve("model.safetensors");
            Files.writeString(f, "an older file that gets replaced");
            Safetensors.write(f, metadata, tensors);

            assertThat(Files.exists(dir.resolve("model.safetensors.tmp"))).isFalse();
            ByteBuffer head = ByteBuffer.wrap(Files.readAllBytes(f)).order(ByteOrder.LITTLE_ENDIAN);
            long headerBytes = head.getLong(0);
            assertThat(headerBytes % 8).isZero();
            String header = new String(Files.readAllBytes(f), 8, (int) headerBytes, StandardCharsets.UTF_8);
            assertThat(header.stripTrailing()).endsWith("}");
            assertThat(header.substring(header.stripTrailing().length())).matches(" {0,7}");

            try (SafetensorsFile st = SafetensorsFile.open(f)) {
                assertThat(st.metadata()).containsExactlyEntriesOf(metadata);
                assertThat(st.names()).containsExactlyElementsOf(tensors.keySet());
                for (Map.Entry<String, Tensor> e : tensors.entrySet()) {
                    Tensor want = e.getValue();
                    Tensor got = st.tensor(e.getKey());
                    assertThat(got.dtype()).isEqualTo(want.dtype());
                    assertThat(got.shape()).isEqualTo(want.shape());
                    assertThat(got.byteSize()).isEqualTo(want.byteSize());
                    assertThat(MemorySegment.mismatch(got.data(), 0, got.byteSize(), want.data(), 0, want.byteSize()))
                            .as(e.getKey()).isEqualTo(-1);
                }
                assertThat(st.entry("odd").begin()).isEqualTo(60 + 6);
                assertThat(st.entry("h.0.attn.bias").begin()).isEqualTo(60 + 6 + 3);
            }
        }
    }

    @Test
    void aFileWithoutMetadataOrTensorsIsValid() {
        Path f = dir.resolve("empty.safetensors");
        Safetensors.write(f, Map.of(), new LinkedHashMap<>());
        try (SafetensorsFile st = SafetensorsFile.open(f)) {
            assertThat(st.names()).isEmpty();
            assertThat(st.metadata()).isEmpty();
        }
    }

    /** Written by scripts/reference/make_safetensors_fixture.py (struct + json, numpy/torch roundings). */
    @Test
    void readsAFileWrittenByAnIndependentWriter() throws URISyntaxException {
        Path f = Path.of(getClass().getResource("reference.safetensors").toURI());
        try (SafetensorsFile st = SafetensorsFile.open(f)) {
            assertThat(st.metadata()).containsExactly(Map.entry("format", "pt"), Map.entry("n_layer", "2"));
            assertThat(st.names()).containsExactly("h.0.attn.c_attn.weight", "wte.weight", "ln_f.bias", "tokens",
                    "ids", "i8", "fp8", "fp8b", "scalar", "empty");
            Tensor w = st.require("h.0.attn.c_attn.weight", DType.FP32, 2, 3);
            assertThat(st.entry("h.0.attn.c_attn.weight").begin()).isEqualTo(6); // unaligned for FP32
            assertThat(floats(w)).containsExactly(0.5f, -1.25f, 3.0f, 1e-3f, -0.0f, 65504.0f);
            // PyTorch's and numpy's roundings to BF16 and FP16 must be ours.
            assertThat(floats(st.require("wte.weight", DType.BF16, 2, 2)))
                    .containsExactly(1.0f, -2.5f, DType.BF16.decode(DType.BF16.encode(0.1f)), DType.BF16.decode(DType.BF16.encode(3e38f)));
            assertThat(floats(st.require("ln_f.bias", DType.FP16, 3)))
                    .containsExactly(1.0f, DType.FP16.decode(DType.FP16.encode(0.1f)), 65504f);
            assertThat(floats(st.require("tokens", DType.INT32, 4))).containsExactly(0f, -1f, 2147483647f, 50256f);
            assertThat(floats(st.require("ids", DType.UINT16, 2))).containsExactly(0f, 65535f);
            assertThat(floats(st.require("i8", DType.INT8, 3))).containsExactly(-128f, 0f, 127f);
            assertThat(floats(st.require("fp8", DType.FP8_E4M3, 4))).containsExactly(1f, 448f, -0.5f, 0x1p-9f);
            assertThat(floats(st.require("fp8b", DType.FP8_E5M2, 3))).containsExactly(1f, 57344f, Float.POSITIVE_INFINITY);
            assertThat(floats(st.require("scalar", DType.FP32))).containsExactly(7f);
            assertThat(st.require("empty", DType.FP32, 0, 4).byteSize()).isZero();
        }
    }

    /** Every element of a host tensor of any dtype, decoded to float. */
    private static List<Float> floats(Tensor t) {
        Float[] out = new Float[(int) t.numel()];
        int size = t.dtype().byteSize();
        for (int i = 0; i < out.length; i++) {
            long at = (long) i * size;
            int code = switch (size) {
                case 1 -> t.data().get(ValueLayout.JAVA_BYTE, at) & 0xFF;
                case 2 -> t.data().get(ValueLayout.JAVA_SHORT_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN), at) & 0xFFFF;
                default -> t.data().get(ValueLayout.JAVA_INT_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN), at);
            };
            out[i] = t.dtype().decode(code);
        }
        return List.of(out);
    }
}
