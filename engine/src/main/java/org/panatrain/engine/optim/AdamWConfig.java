// The fixed hyper-parameters of AdamW (the learning rate changes per step and is passed to step()).
package org.panatrain.engine.optim;

/**
 * AdamW's betas, epsilon and decoupled weight decay.
 *
 * <pre>{@code
 * AdamWConfig cfg = AdamWConfig.defaults().withWeightDecay(0f);
 * }</pre>
 */
public record AdamWConfig(float beta1, float beta2, float eps, float weightDecay) {

    public AdamWConfig {
        if (!(beta1 >= 0 && beta1 < 1) || !(beta2 >= 0 && beta2 < 1) || !(eps > 0) || !(weightDecay >= 0)) {
            throw new IllegalArgumentException("AdamW needs 0 <= betas < 1, eps > 0 and weight decay >= 0, got " + this);
        }
    }

    /** nanoGPT's / GPT-3's values: betas 0.9 and 0.95, eps 1e-8, weight decay 0.1. */
    public static AdamWConfig defaults() {
        return new AdamWConfig(0.9f, 0.95f, 1e-8f, 0.1f);
    }

    /** The same config with another weight decay. */
    public AdamWConfig withWeightDecay(float wd) {
        return new AdamWConfig(beta1, beta2, eps, wd);
    }
}
