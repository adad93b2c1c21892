// Writing safetensors files: header JSON padded with spaces to a multiple of 8, then the tensors'
// bytes in the order given, written to a temporary file and renamed into place. Reading is
// SafetensorsFile. Leaves out name mapping and dtype conversion (callers pass finished tensors).
package org.panatrain.engine.io;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.SequencedMap;
import org.panatrain.memory.Tensor;

/**
 * Writes host tensors as a safetensors file that other tools read (Hugging Face's reader
 * included): data little-endian, as host memory is on the platforms Panatrain runs on.
 *
 * <pre>{@code
 * SequencedMap<String, Tensor> tensors = new LinkedHashMap<>();
 * tensors.put("wte.weight", wte);                                  // (V, C)
 * Safetensors.write(Path.of("model.safetensors"), Map.of("n_layer", "12"), tensors);
 * }</pre>
 */
public final class Safetensors {
    private Safetensors() {
    }

    /** Writes {@code tensors} (host tensors, in this order) and {@code metadata} to {@code file} atomically. */
    public static void write(Path file, Map<String, String> metadata, SequencedMap<String, Tensor> tensors) {
        byte[] header = header(metadata, tensors);
        AtomicFiles.write(file, channel -> {
            ByteBuffer prefix = ByteBuffer.allocate(8 + header.length).order(ByteOrder.LITTLE_ENDIAN);
            prefix.putLong(header.length).put(header).flip();
            AtomicFiles.writeFully(channel, prefix);
            for (Tensor t : tensors.values()) {
                AtomicFiles.writeFully(channel, t.data().asSlice(0, t.byteSize()));
            }
        });
    }

    /** The header JSON in UTF-8, padded with spaces so that the data starts 8-byte aligned. */
    static byte[] header(Map<String, String> metadata, SequencedMap<String, Tensor> tensors) {
        Map<String, Object> json = new LinkedHashMap<>();
        if (!metadata.isEmpty()) {
            json.put(SafetensorsFile.METADATA_KEY, new LinkedHashMap<>(metadata));
        }
        long offset = 0;
        for (Map.Entry<String, Tensor> e : tensors.entrySet()) {
            Tensor t = e.getValue();
            if (e.getKey().equals(SafetensorsFile.METADATA_KEY)) {
                throw new IllegalArgumentException("a tensor cannot be called " + SafetensorsFile.METADATA_KEY);
            }
            if (t.location() != Tensor.Location.HOST) {
                throw new IllegalArgumentException("tensor " + e.getKey() + " is not in host memory");
            }
            List<Object> shape = new ArrayList<>();
            for (int d : t.shape()) {
                shape.add((long) d);
            }
            Map<String, Object> entry = new LinkedHashMap<>();
            entry.put("dtype", t.dtype().safetensorsName());
            entry.put("shape", shape);
            entry.put("data_offsets", List.of(offset, offset + t.byteSize()));
            json.put(e.getKey(), entry);
            offset += t.byteSize();
        }
        byte[] text = Json.write(json).getBytes(StandardCharsets.UTF_8);
        int padded = (text.length + 7) / 8 * 8;
        byte[] header = new byte[padded];
        System.arraycopy(text, 0, header, 0, text.length);
        Arrays.fill(header, text.length, padded, (byte) ' ');
        return header;
    }
}
