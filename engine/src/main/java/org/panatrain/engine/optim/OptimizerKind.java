// The optimizers `train --optimizer` offers, by CLI name, how each is made from the run's weight
// decay (every other hyper-parameter at its paper's / library's default), and the bytes its state
// will take for a model config, for the memory plan before anything is allocated.
package org.panatrain.engine.optim;

import java.util.Arrays;
import java.util.List;
import java.util.Locale;
import org.panatrain.engine.model.Gpt2;
import org.panatrain.engine.model.Gpt2Config;
import org.panatrain.engine.model.ParameterSpec;

/**
 * Picks an optimizer by name.
 *
 * <pre>{@code
 * try (Optimizer opt = OptimizerKind.parse("adafactor").create(model, 0.1f)) { ... }
 * }</pre>
 */
public enum OptimizerKind {
    /** {@link AdamW}: betas 0.9/0.95, eps 1e-8 (nanoGPT). */
    ADAMW,
    /** {@link Lion}: betas 0.9/0.99. */
    LION,
    /** {@link Adafactor}: factored second moments, no first moment. */
    ADAFACTOR,
    /** {@link AdamW8bit}: AdamW with block-wise 8-bit moments. */
    ADAMW8BIT;

    /** The CLI name. */
    public String cliName() {
        return name().toLowerCase(Locale.ROOT);
    }

    /** Every CLI name, in declaration order. */
    public static List<String> cliNames() {
        return Arrays.stream(values()).map(OptimizerKind::cliName).toList();
    }

    /** The kind called {@code name}, or an IllegalArgumentException listing the choices. */
    public static OptimizerKind parse(String name) {
        for (OptimizerKind k : values()) {
            if (k.cliName().equals(name)) {
                return k;
            }
        }
        throw new IllegalArgumentException("unknown optimizer '" + name + "', expected one of " + cliNames());
    }

    /** A new optimizer of this kind over {@code model}, decaying 2+-D tensors by {@code weightDecay}. */
    public Optimizer create(Gpt2 model, float weightDecay) {
        return switch (this) {
            case ADAMW -> new AdamW(model, AdamWConfig.defaults().withWeightDecay(weightDecay));
            case LION -> new Lion(model, Lion.Config.defaults().withWeightDecay(weightDecay));
            case ADAFACTOR -> new Adafactor(model, Adafactor.Config.defaults().withWeightDecay(weightDecay));
            case ADAMW8BIT -> new AdamW8bit(model, AdamWConfig.defaults().withWeightDecay(weightDecay),
                    AdamW8bit.DEFAULT_BLOCK);
        };
    }

    /**
     * Bytes of this optimizer's state for a model of {@code config}: AdamW 8 a parameter (two FP32
     * moments), Lion 4 (one FP32 momentum), Adafactor 4 (rows + cols) a matrix and 4 an element of
     * a vector, AdamW8bit 2 a parameter (two one-byte codes) plus 8 a block (two FP32 absmax).
     */
    public long stateBytes(Gpt2Config config) {
        long bytes = 0;
        for (ParameterSpec p : ParameterSpec.table(config)) {
            int[] shape = p.shape();
            long n = p.numel();
            bytes += switch (this) {
                case ADAMW -> 8 * n;
                case LION -> 4 * n;
                case ADAFACTOR -> shape.length >= 2 ? 4 * (n / shape[shape.length - 1] + shape[shape.length - 1]) : 4 * n;
                case ADAMW8BIT -> 2 * n + 8 * ((n + AdamW8bit.DEFAULT_BLOCK - 1) / AdamW8bit.DEFAULT_BLOCK);
            };
        }
        return bytes;
    }
}
