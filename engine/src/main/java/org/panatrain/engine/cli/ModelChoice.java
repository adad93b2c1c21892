// Which model a command trains or runs: --model NAME (a preset), --config FILE (a JSON file with
// n_layer, n_head, n_embd, n_positions, vocab_size), or the built-in task's small model.
package org.panatrain.engine.cli;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import org.panatrain.engine.io.BadInputException;
import org.panatrain.engine.io.Json;
import org.panatrain.engine.model.Gpt2Config;
import org.panatrain.engine.train.ArithmeticTask;

/** Resolves --model / --config. */
final class ModelChoice {
    static final OptionSpec MODEL = OptionSpec.of("model", OptionSpec.Kind.TEXT, "NAME",
            "preset: " + String.join(", ", Gpt2Config.PRESETS.keySet()) + " (default: the built-in task's model)");
    static final OptionSpec CONFIG = OptionSpec.of("config", OptionSpec.Kind.TEXT, "FILE",
            "JSON file with n_layer, n_head, n_embd, n_positions, vocab_size");
    private static final List<String> KEYS = List.of("n_layer", "n_head", "n_embd", "n_positions", "vocab_size");

    private ModelChoice() {
    }

    static Gpt2Config resolve(ParsedOptions options) {
        if (options.has(MODEL.name()) && options.has(CONFIG.name())) {
            throw new UsageException("give --model or --config, not both");
        }
        if (options.has(CONFIG.name())) {
            return fromFile(options.path(CONFIG.name()).orElseThrow());
        }
        if (options.has(MODEL.name())) {
            String name = options.text(MODEL.name()).orElseThrow();
            if (!Gpt2Config.PRESETS.containsKey(name)) {
                throw new UsageException("--model: unknown model '" + name + "' (known: "
                        + String.join(", ", Gpt2Config.PRESETS.keySet()) + ")");
            }
            return Gpt2Config.named(name);
        }
        return ArithmeticTask.MODEL;
    }

    static Gpt2Config fromFile(Path file) {
        InputFiles.existing(file);
        String text;
        try {
            text = Files.readString(file);
        } catch (IOException e) {
            throw new UncheckedIOException("cannot read " + file + ": " + e.getMessage(), e);
        }
        if (!(Json.parse(file, text) instanceof Map<?, ?> map)) {
            throw new BadInputException(file, "expected a JSON object with " + String.join(", ", KEYS));
        }
        int[] v = new int[KEYS.size()];
        for (int i = 0; i < KEYS.size(); i++) {
            Object value = map.get(KEYS.get(i));
            if (!(value instanceof Long n) || n < 1 || n > Integer.MAX_VALUE) {
                throw new BadInputException(file, "\"" + KEYS.get(i) + "\" must be a positive integer, got "
                        + (value == null ? "nothing" : Json.write(value)));
            }
            v[i] = n.intValue();
        }
        try {
            return new Gpt2Config(v[0], v[1], v[2], v[3], v[4]);
        } catch (IllegalArgumentException e) {
            throw new BadInputException(file, e.getMessage());
        }
    }
}
