// The hyper-parameters of one AdamW update: a record so a step is one immutable value.
package org.panatrain.kernels;

/**
 * The scalars of one AdamW update; {@code t} is the 1-based step count used for bias correction.
 *
 * <pre>{@code
 * k.adamW(param, grad, m, v, new AdamWStep(6e-4f, 0.9f, 0.95f, 1e-8f, 0.1f, step));
 * }</pre>
 */
public record AdamWStep(float lr, float beta1, float beta2, float eps, float weightDecay, int t) {
    public AdamWStep {
        if (t < 1) {
            throw new IllegalArgumentException("AdamW step count starts at 1, got " + t);
        }
    }
}
