// Reads the PyTorch reference file (scripts/reference/gpt2_reference.py) from the test resources
// through engine.io's validated safetensors reader, into plain arrays.
package org.panatrain.engine.model;

import java.net.URISyntaxException;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.Map;
import org.panatrain.engine.io.SafetensorsFile;
import org.panatrain.memory.DType;
import org.panatrain.memory.Tensor;

/** The reference tensors by name, as float or int arrays, and the metadata. */
final class ReferenceData {
    static final String RESOURCE = "/reference/gpt2_reference.safetensors";

    private final Map<String, String> metadata;
    private final Map<String, float[]> floats = new HashMap<>();
    private final Map<String, int[]> ints = new HashMap<>();

    static ReferenceData load() {
        try {
            return new ReferenceData(Path.of(ReferenceData.class.getResource(RESOURCE).toURI()));
        } catch (URISyntaxException e) {
            throw new IllegalStateException(e);
        }
    }

    private ReferenceData(Path file) {
        try (SafetensorsFile f = SafetensorsFile.open(file)) {
            metadata = Map.copyOf(f.metadata());
            if (!"panatrain-gpt2-reference".equals(metadata.get("magic")) || !"1".equals(metadata.get("version"))) {
                throw new IllegalStateException(file + " is not a version 1 panatrain reference: " + metadata);
            }
            for (String name : f.names()) {
                Tensor t = f.tensor(name);
                if (t.dtype() == DType.FP32) {
                    floats.put(name, t.toFloatArray());
                } else {
                    int[] v = new int[Math.toIntExact(t.numel())];
                    for (int i = 0; i < v.length; i++) {
                        v[i] = t.getInt(i);
                    }
                    ints.put(name, v);
                }
            }
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
