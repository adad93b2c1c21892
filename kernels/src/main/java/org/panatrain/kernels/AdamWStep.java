// The hyper-parameters of one AdamW update. A mutable holder, not a record, so that an optimizer
// keeps one and updates it each step instead of making a new object per step (a warm training
// step allocates nothing); a kernel reads it during the call and keeps no reference.
package org.panatrain.kernels;

/**
 * The scalars of one AdamW update; {@code t} is the 1-based step count used for bias correction.
 *
 * <pre>{@code
 * k.adamW(param, grad, m, v, new AdamWStep(6e-4f, 0.9f, 0.95f, 1e-8f, 0.1f, step));
 * AdamWStep s = new AdamWStep(...);  // or: one per optimizer,
 * s.set(lr, 0.9f, 0.95f, 1e-8f, 0.1f, step);  // updated before each step's calls
 * }</pre>
 */
public final class AdamWStep {
    private float lr;
    private float beta1;
    private float beta2;
    private float eps;
    private float weightDecay;
    private int t;

    public AdamWStep(float lr, float beta1, float beta2, float eps, float weightDecay, int t) {
        set(lr, beta1, beta2, eps, weightDecay, t);
    }

    /** Replaces every scalar; returns this. */
    public AdamWStep set(float lr, float beta1, float beta2, float eps, float weightDecay, int t) {
        if (t < 1) {
            throw new IllegalArgumentException("AdamW step count starts at 1, got " + t);
        }
        this.lr = lr;
        this.beta1 = beta1;
        this.beta2 = beta2;
        this.eps = eps;
        this.weightDecay = weightDecay;
        this.t = t;
        return this;
    }

    public float lr() {
        return lr;
    }

    public float beta1() {
        return beta1;
    }

    public float beta2() {
        return beta2;
    }

    public float eps() {
        return eps;
    }

    public float weightDecay() {
        return weightDecay;
    }

    public int t() {
        return t;
    }

    @Override
    public String toString() {
        return "AdamWStep[lr=" + lr + ", beta1=" + beta1 + ", beta2=" + beta2 + ", eps=" + eps + ", weightDecay="
                + weightDecay + ", t=" + t + "]";
    }
}
