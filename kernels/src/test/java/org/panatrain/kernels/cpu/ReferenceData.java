// Reads the per-op reference files written by scripts/reference/kernel_reference.py (format
// documented there): named float32 arrays with shapes. Leaves out writing and other dtypes.
package org.panatrain.kernels.cpu;

import java.io.DataInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.util.LinkedHashMap;
import java.util.Map;

/** The arrays of one reference file, by name. */
record ReferenceData(String file, Map<String, ReferenceData.Array> arrays) {
    static final int MAGIC = 0x46525450;
    static final int VERSION = 1;

    /** One named array: its shape and row-major values. */
    record Array(int[] shape, float[] values) {
    }

    /** Loads test resource reference/{name}. */
    static ReferenceData load(String name) {
        String path = "/reference/" + name;
        try (InputStream in = ReferenceData.class.getResourceAsStream(path)) {
            if (in == null) {
                throw new IllegalStateException("missing test resource " + path + " (run scripts/reference/kernel_reference.py)");
            }
            ByteBuffer buf = ByteBuffer.wrap(new DataInputStream(in).readAllBytes()).order(ByteOrder.LITTLE_ENDIAN);
            if (buf.getInt() != MAGIC || buf.getInt() != VERSION) {
                throw new IllegalStateException(path + ": not a version " + VERSION + " reference file");
            }
            int count = buf.getInt();
            Map<String, Array> arrays = new LinkedHashMap<>();
            for (int i = 0; i < count; i++) {
                byte[] nameBytes = new byte[buf.getInt()];
                buf.get(nameBytes);
                int[] shape = new int[buf.getInt()];
                long numel = 1;
                for (int d = 0; d < shape.length; d++) {
                    shape[d] = buf.getInt();
                    numel *= shape[d];
                }
                float[] values = new float[Math.toIntExact(numel)];
                buf.asFloatBuffer().get(values);
                buf.position(buf.position() + values.length * 4);
                arrays.put(new String(nameBytes, StandardCharsets.UTF_8), new Array(shape, values));
            }
            if (buf.hasRemaining()) {
                throw new IllegalStateException(path + ": " + buf.remaining() + " trailing bytes");
            }
            return new ReferenceData(path, arrays);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    Array get(String name) {
        Array a = arrays.get(name);
        if (a == null) {
            throw new IllegalStateException(file + ": no array " + name);
        }
        return a;
    }

    float[] values(String name) {
        return get(name).values();
    }

    int[] shape(String name) {
        return get(name).shape();
    }

    float scalar(String name) {
        return values(name)[0];
    }
}
