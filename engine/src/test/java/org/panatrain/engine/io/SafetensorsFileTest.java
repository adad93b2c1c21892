// Every way a safetensors file can be wrong, each built by hand in a temporary folder: the reader
// must refuse it with a BadInputException whose message names the file and the problem.
package org.panatrain.engine.io;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.panatrain.memory.DType;
import org.panatrain.memory.Tensor;

class SafetensorsFileTest {
    @TempDir
    Path dir;

    /** A file of: header length {@code declared}, the header bytes, then {@code dataBytes} bytes. */
    private Path file(long declared, byte[] header, int dataBytes) throws IOException {
        ByteBuffer b = ByteBuffer.allocate(8 + header.length + dataBytes).order(ByteOrder.LITTLE_ENDIAN);
        b.putLong(declared).put(header);
        for (int i = 0; i < dataBytes; i++) {
            b.put((byte) i);
        }
        Path f = dir.resolve("bad.safetensors");
        Files.write(f, b.array());
        return f;
    }

    private Path file(String header, int dataBytes) throws IOException {
        byte[] h = header.getBytes(StandardCharsets.UTF_8);
        return file(h.length, h, dataBytes);
    }

    private static void assertRejected(Path f, String problem) {
        assertThatThrownBy(() -> SafetensorsFile.open(f).close())
                .isInstanceOf(BadInputException.class)
                .hasMessageStartingWith(f + ": ")
                .hasMessageContaining(problem);
    }

    @Test
    void fileShorterThanTheHeaderLength() throws IOException {
        Path f = dir.resolve("short.safetensors");
        Files.write(f, new byte[] {1, 0, 0, 0, 0});
        assertRejected(f, "file of 5 bytes is too short for the 8-byte header length");
        Files.write(f, new byte[0]);
        assertRejected(f, "file of 0 bytes is too short");
    }

    @Test
    void headerLongerThan100MB() throws IOException {
        assertRejected(file(100_000_001L, new byte[0], 0), "header length 100000001 is larger than the limit of 100000000 bytes");
        assertRejected(file(-1L, new byte[0], 0), "header length 18446744073709551615 is larger than the limit");
    }

    @Test
    void headerPastTheEndOfTheFile() throws IOException {
        assertRejected(file(64, "{}".getBytes(StandardCharsets.UTF_8), 0), "header of 64 bytes runs past the end of the 10-byte file");
    }

    @Test
    void headerNotUtf8() throws IOException {
        assertRejected(file(4, new byte[] {'{', (byte) 0xFF, (byte) 0xFE, '}'}, 0), "header is not valid UTF-8");
    }

    @Test
    void headerNotJson() throws IOException {
        assertRejected(file("{\"a\": ", 0), "header is not valid JSON: unexpected end of text");
        assertRejected(file("{\"a\": {\"dtype\": \"F32\",}}", 0), "header is not valid JSON: expected a string key at line 1, column 23");
    }

    @Test
    void headerNotAnObject() throws IOException {
        assertRejected(file("[1, 2]  ", 0), "header is not a JSON object");
    }

    @Test
    void duplicateTensorNames() throws IOException {
        assertRejected(file("""
                {"a": {"dtype": "F32", "shape": [1], "data_offsets": [0, 4]},
                 "a": {"dtype": "F32", "shape": [1], "data_offsets": [4, 8]}}""", 8),
                "duplicate key \"a\" at line 2, column 2");
    }

    @Test
    void entriesThatAreNotObjectsWithDtypeShapeAndOffsets() throws IOException {
        String problem = "tensor \"a\" is not an object with dtype, shape and data_offsets";
        assertRejected(file("{\"a\": 5}", 0), problem);
        assertRejected(file("{\"a\": {\"dtype\": \"F32\", \"shape\": [1]}}", 4), problem);
        assertRejected(file("{\"a\": {\"dtype\": 3, \"shape\": [1], \"data_offsets\": [0, 4]}}", 4), problem);
        assertRejected(file("{\"a\": {\"dtype\": \"F32\", \"shape\": 1, \"data_offsets\": [0, 4]}}", 4), problem);
        assertRejected(file("{\"a\": {\"dtype\": \"F32\", \"shape\": [1], \"data_offsets\": [0, 4, 8]}}", 4),
                "tensor \"a\" has data_offsets [0, 4, 8], not two integers 0 <= begin <= end");
        assertRejected(file("{\"a\": {\"dtype\": \"F32\", \"shape\": [0], \"data_offsets\": [4, 0]}}", 4),
                "tensor \"a\" has data_offsets [4, 0]");
        assertRejected(file("{\"a\": {\"dtype\": \"F32\", \"shape\": [1], \"data_offsets\": [0.0, 4]}}", 4),
                "tensor \"a\" has data_offsets [0.0, 4]");
    }

    @Test
    void unknownDtype() throws IOException {
        assertRejected(file("{\"a\": {\"dtype\": \"X99\", \"shape\": [1], \"data_offsets\": [0, 4]}}", 4),
                "tensor \"a\" has an unknown dtype \"X99\"");
    }

    @Test
    void negativeOrNonIntegerShapeEntries() throws IOException {
        assertRejected(file("{\"a\": {\"dtype\": \"F32\", \"shape\": [-1], \"data_offsets\": [0, 4]}}", 4),
                "tensor \"a\" has shape entry -1, not a non-negative integer");
        assertRejected(file("{\"a\": {\"dtype\": \"F32\", \"shape\": [2.5], \"data_offsets\": [0, 4]}}", 4),
                "tensor \"a\" has shape entry 2.5, not a non-negative integer");
        assertRejected(file("{\"a\": {\"dtype\": \"F32\", \"shape\": [\"1\"], \"data_offsets\": [0, 4]}}", 4),
                "tensor \"a\" has shape entry 1, not a non-negative integer");
        assertRejected(file("{\"a\": {\"dtype\": \"F32\", \"shape\": [4294967296], \"data_offsets\": [0, 4]}}", 4),
                "tensor \"a\" has shape entry 4294967296");
    }

    @Test
    void byteSizeThatIsNotShapeTimesDtypeSize() throws IOException {
        assertRejected(file("{\"a\": {\"dtype\": \"F32\", \"shape\": [2, 2], \"data_offsets\": [0, 12]}}", 12),
                "tensor \"a\" has 12 bytes but F32[2, 2] needs 16");
        assertRejected(file("{\"a\": {\"dtype\": \"BF16\", \"shape\": [3], \"data_offsets\": [0, 3]}}", 3),
                "tensor \"a\" has 3 bytes but BF16[3] needs 6");
    }

    @Test
    void byteSizeThatOverflowsALong() throws IOException {
        assertRejected(file("{\"a\": {\"dtype\": \"F32\", \"shape\": [2147483647, 2147483647, 2147483647],"
                + " \"data_offsets\": [0, 4]}}", 4), "tensor \"a\" of shape [2147483647, 2147483647, 2147483647] has more bytes than a long can count");
        // The element count fits a long, the byte count does not.
        assertRejected(file("{\"a\": {\"dtype\": \"F32\", \"shape\": [2147483647, 2147483647, 2],"
                + " \"data_offsets\": [0, 4]}}", 4), "has more bytes than a long can count");
    }

    @Test
    void offsetsPastTheData() throws IOException {
        assertRejected(file("{\"a\": {\"dtype\": \"F32\", \"shape\": [4], \"data_offsets\": [0, 16]}}", 8),
                "tensor \"a\" ends at data offset 16, past the 8 bytes of data");
    }

    @Test
    void overlappingOffsets() throws IOException {
        assertRejected(file("""
                {"a": {"dtype": "F32", "shape": [2], "data_offsets": [0, 8]},
                 "b": {"dtype": "F32", "shape": [2], "data_offsets": [4, 12]}}""", 12),
                "tensor \"b\" at data offsets [4, 12) overlaps tensor \"a\"");
    }

    @Test
    void offsetsThatLeaveAHole() throws IOException {
        assertRejected(file("""
                {"a": {"dtype": "F32", "shape": [2], "data_offsets": [0, 8]},
                 "b": {"dtype": "F32", "shape": [2], "data_offsets": [12, 20]}}""", 20),
                "data bytes [8, 12) belong to no tensor (a hole before tensor \"b\")");
        assertRejected(file("{\"a\": {\"dtype\": \"F32\", \"shape\": [1], \"data_offsets\": [4, 8]}}", 8),
                "data bytes [0, 4) belong to no tensor");
    }

    @Test
    void trailingBytesAfterTheLastTensor() throws IOException {
        assertRejected(file("{\"a\": {\"dtype\": \"F32\", \"shape\": [2], \"data_offsets\": [0, 8]}}", 11),
                "3 trailing bytes after the last tensor (data has 11 bytes, tensors cover 8)");
        assertRejected(file("{}", 1), "1 trailing bytes after the last tensor");
    }

    @Test
    void metadataThatIsNotAStringToStringMap() throws IOException {
        assertRejected(file("{\"__metadata__\": [\"a\"]}", 0), "__metadata__ is not an object of strings");
        assertRejected(file("{\"__metadata__\": {\"n_layer\": 12}}", 0), "__metadata__ value of \"n_layer\" is not a string");
    }

    @Test
    void missingTensorAndShapeOrDtypeThatContradictTheConfig() throws IOException {
        Path f = file("{\"__metadata__\": {\"n_layer\": \"2\"},"
                + " \"wte.weight\": {\"dtype\": \"F32\", \"shape\": [2, 3], \"data_offsets\": [0, 24]}}", 24);
        try (SafetensorsFile st = SafetensorsFile.open(f)) {
            assertThat(st.metadata()).containsExactly(java.util.Map.entry("n_layer", "2"));
            assertThatThrownBy(() -> st.require("wpe.weight", DType.FP32, 4, 3))
                    .isInstanceOf(BadInputException.class)
                    .hasMessage(f + ": missing tensor wpe.weight");
            assertThatThrownBy(() -> st.require("wte.weight", DType.FP32, 3, 2))
                    .isInstanceOf(BadInputException.class)
                    .hasMessage(f + ": tensor wte.weight has shape [2, 3] but the config needs [3, 2]");
            assertThatThrownBy(() -> st.require("wte.weight", DType.BF16, 2, 3))
                    .isInstanceOf(BadInputException.class)
                    .hasMessage(f + ": tensor wte.weight has dtype F32 but BF16 is needed");
            Tensor wte = st.require("wte.weight", DType.FP32, 2, 3);
            assertThat(wte.byteSize()).isEqualTo(24);
            assertThat(wte.data().get(java.lang.foreign.ValueLayout.JAVA_BYTE, 23)).isEqualTo((byte) 23);
        }
    }

    @Test
    void tensorViewsThrowAfterTheFileIsClosed() throws IOException {
        Path f = file("{\"a\": {\"dtype\": \"F32\", \"shape\": [2], \"data_offsets\": [0, 8]}}", 8);
        SafetensorsFile st = SafetensorsFile.open(f);
        Tensor a = st.tensor("a");
        st.close();
        assertThatThrownBy(() -> a.getFloat(0)).isInstanceOf(IllegalStateException.class);
    }
}
