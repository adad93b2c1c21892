// Reads the PyTorch reference file (scripts/reference/gpt2_reference.py) from the test resources:
// a minimal safetensors reader for that one file (known key order, F32/I32 only), kept in test
// code so the reference check does not depend on the engine's own reader.
package org.panatrain.engine.model;

import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.util.HashMap;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/** The reference tensors by name, as float or int arrays, and the metadata. */
final class ReferenceData {
    static final String RESOURCE = "/reference/gpt2_reference.safetensors";
    private static final Pattern ENTRY = Pattern.compile(
            "\"([^\"]+)\":\\{\"dtype\":\"(F32|I32)\",\"shape\":\\[([0-9,]*)\\],\"data_offsets\":\\[(\\d+),(\\d+)\\]\\}");
    private static final Pattern META = Pattern.compile("\"([^\"]+)\":\"([^\"]*)\"");

    private final Map<String, String> metadata = new HashMap<>();
    private final Map<String, float[]> floats = new HashMap<>();
    private final Map<String, int[]> ints = new HashMap<>();

    static ReferenceData load() {
        try (InputStream in = ReferenceData.class.getResourceAsStream(RESOURCE)) {
            return new ReferenceData(in.readAllBytes());
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    private ReferenceData(byte[] file) {
        ByteBuffer buf = ByteBuffer.wrap(file).order(ByteOrder.LITTLE_ENDIAN);
        int headerLength = Math.toIntExact(buf.getLong(0));
        String header = new String(file, 8, headerLength, StandardCharsets.UTF_8);
        int metaStart = header.indexOf("\"__metadata__\":{") + "\"__metadata__\":{".length();
        Matcher meta = META.matcher(header.substring(metaStart, header.indexOf('}', metaStart)));
        while (meta.find()) {
            metadata.put(meta.group(1), meta.group(2));
        }
        Matcher m = ENTRY.matcher(header);
        int base = 8 + headerLength;
        while (m.find()) {
            int from = base + Integer.parseInt(m.group(4));
            int count = (Integer.parseInt(m.group(5)) - Integer.parseInt(m.group(4))) / 4;
            if (m.group(2).equals("F32")) {
                float[] v = new float[count];
                buf.slice(from, count * 4).order(ByteOrder.LITTLE_ENDIAN).asFloatBuffer().get(v);
                floats.put(m.group(1), v);
            } else {
                int[] v = new int[count];
                buf.slice(from, count * 4).order(ByteOrder.LITTLE_ENDIAN).asIntBuffer().get(v);
                ints.put(m.group(1), v);
            }
        }
        if (!"panatrain-gpt2-reference".equals(metadata.get("magic")) || !"1".equals(metadata.get("version"))) {
            throw new IllegalStateException(RESOURCE + " is not a version 1 panatrain reference: " + metadata);
        }
    }

    int meta(String key) {
        return Integer.parseInt(metadata.get(key));
    }

    float metaFloat(String key) {
        return Float.parseFloat(metadata.get(key));
    }

    Gpt2Config config() {
        return new Gpt2Config(meta("n_layer"), meta("n_head"), meta("n_embd"), meta("n_positions"), meta("vocab_size"));
    }

    float[] floats(String name) {
        float[] v = floats.get(name);
        if (v == null) {
            throw new IllegalArgumentException("reference has no float tensor " + name);
        }
        return v;
    }

    int[] ints(String name) {
        int[] v = ints.get(name);
        if (v == null) {
            throw new IllegalArgumentException("reference has no int tensor " + name);
        }
        return v;
    }
}
