// The shape of a GPT-2 family model: layer count, heads, width, context and vocabulary, with
// the named presets and validation. Reading a config from a file or safetensors metadata is
// done by the callers that own those formats; this record only checks and names.
package org.panatrain.engine.model;

import java.util.LinkedHashMap;
import java.util.Map;

/**
 * A GPT-2 configuration: L layers, NH heads, C channels, maxT positions, V vocabulary entries.
 *
 * <pre>{@code
 * Gpt2Config cfg = Gpt2Config.named("gpt2-tiny");
 * int headSize = cfg.headSize();   // C / NH
 * }</pre>
 */
public record Gpt2Config(int nLayer, int nHead, int nEmbd, int nPositions, int vocabSize) {

    /** The presets by name; the byte-level presets use V = 256, the OpenAI sizes V = 50257. */
    public static final Map<String, Gpt2Config> PRESETS = presets();

    public Gpt2Config {
        positive("n_layer", nLayer);
        positive("n_head", nHead);
        positive("n_embd", nEmbd);
        positive("n_positions", nPositions);
        positive("vocab_size", vocabSize);
        if (nEmbd % nHead != 0) {
            throw new IllegalArgumentException("n_head " + nHead + " does not divide n_embd " + nEmbd);
        }
    }

    private static void positive(String name, int v) {
        if (v <= 0) {
            throw new IllegalArgumentException(name + " must be positive, got " + v);
        }
    }

    private static Map<String, Gpt2Config> presets() {
        Map<String, Gpt2Config> m = new LinkedHashMap<>();
        m.put("gpt2-tiny", new Gpt2Config(2, 4, 128, 128, 256));
        m.put("gpt2-mini", new Gpt2Config(6, 6, 384, 256, 256));
        m.put("gpt2", new Gpt2Config(12, 12, 768, 1024, 50257));
        m.put("gpt2-medium", new Gpt2Config(24, 16, 1024, 1024, 50257));
        m.put("gpt2-large", new Gpt2Config(36, 20, 1280, 1024, 50257));
        m.put("gpt2-xl", new Gpt2Config(48, 25, 1600, 1024, 50257));
        return java.util.Collections.unmodifiableMap(m);
    }

    /** The preset called {@code name}, or an IllegalArgumentException listing the presets. */
    public static Gpt2Config named(String name) {
        Gpt2Config c = PRESETS.get(name);
        if (c == null) {
            throw new IllegalArgumentException("unknown model \"" + name + "\"; known: "
                    + String.join(", ", PRESETS.keySet()));
        }
        return c;
    }

    /** HS, the channels of one head. */
    public int headSize() {
        return nEmbd / nHead;
    }

    /** Number of parameters (the output head is tied to wte). */
    public long parameterCount() {
        long c = nEmbd;
        long perLayer = 2 * c + 3 * c * c + 3 * c + c * c + c + 2 * c + 4 * c * c + 4 * c + 4 * c * c + c;
        return (long) vocabSize * c + (long) nPositions * c + nLayer * perLayer + 2 * c;
    }

    /** The safetensors {@code __metadata__} entries of this config, as Hugging Face names them. */
    public Map<String, String> toMetadata() {
        Map<String, String> m = new LinkedHashMap<>();
        m.put("n_layer", Integer.toString(nLayer));
        m.put("n_head", Integer.toString(nHead));
        m.put("n_embd", Integer.toString(nEmbd));
        m.put("n_positions", Integer.toString(nPositions));
        m.put("vocab_size", Integer.toString(vocabSize));
        return m;
    }
}
