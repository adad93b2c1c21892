// Dynamic loss scaling with the semantics of PyTorch's torch.cuda.amp.GradScaler: the scale the
// loss is multiplied by before backward, and its update after each step (backoff on a non-finite
// gradient, growth after a run of clean steps). Pure host state; the gradient pass that unscales
// and detects non-finite values is GradientUnscaler. Leaves out per-optimizer bookkeeping
// (one optimizer per step here) and the "unscale once per step" guard.
package org.panatrain.engine.precision;

/**
 * The loss scale of an fp16 training loop and its counters.
 *
 * <pre>{@code
 * LossScaler scaler = new LossScaler(LossScaler.Config.defaults());
 * opt.zeroGrad();
 * step.forwardBackward(inputs, targets, scaler.scale());        // d(scale * loss)
 * boolean finite = unscaler.unscale(gradients, scaler);          // grads *= 1/scale, NaN/Inf check
 * if (finite) { opt.clipGradNorm(1f); opt.step(lr); }          // a non-finite step is skipped
 * scaler.update(finite);
 * }</pre>
 */
public final class LossScaler {

    /**
     * GradScaler's knobs: {@code initialScale} 2^16, {@code growthFactor} 2, {@code backoffFactor}
     * 0.5 and {@code growthInterval} 2000 clean steps by default.
     */
    public record Config(float initialScale, float growthFactor, float backoffFactor, int growthInterval) {
        public Config {
            if (!(initialScale > 0) || Float.isInfinite(initialScale)) {
                throw new IllegalArgumentException("loss scale: initial scale must be positive and finite, got " + initialScale);
            }
            if (!(growthFactor > 1) || !(backoffFactor > 0 && backoffFactor < 1)) {
                throw new IllegalArgumentException("loss scale: need growth factor > 1 and 0 < backoff factor < 1, got "
                        + growthFactor + " and " + backoffFactor);
            }
            if (growthInterval < 1) {
                throw new IllegalArgumentException("loss scale: growth interval must be at least 1, got " + growthInterval);
            }
        }

        /** PyTorch's defaults. */
        public static Config defaults() {
            return new Config(65536f, 2f, 0.5f, 2000);
        }
    }

    /**
     * Everything a checkpoint must hold: the scale, the clean steps since the scale last changed
     * ({@code growthTracker}, as PyTorch calls it), and how many steps were applied and skipped.
     */
    public record State(float scale, int growthTracker, long appliedSteps, long skippedSteps) {
    }

    private final Config config;
    private float scale;
    private int growthTracker;
    private long appliedSteps;
    private long skippedSteps;

    public LossScaler(Config config) {
        this.config = config;
        this.scale = config.initialScale();
    }

    /** The factor the loss (its gradient seed) is multiplied by before backward. */
    public float scale() {
        return scale;
    }

    /** 1/scale as PyTorch computes it (double reciprocal, rounded to float): the unscale factor. */
    public float inverseScale() {
        return (float) (1.0 / scale);
    }

    /**
     * Ends a step: with {@code gradientsFinite} false the step counts as skipped (the caller must not
     * have applied the optimizer) and the scale is multiplied by the backoff factor; otherwise it
     * counts as applied and, after {@code growthInterval} consecutive applied steps, the scale is
     * multiplied by the growth factor unless that would overflow to infinity.
     * Returns {@code gradientsFinite}, for {@code if (scaler.update(finite))}-free call sites.
     */
    public boolean update(boolean gradientsFinite) {
        if (!gradientsFinite) {
            skippedSteps++;
            scale *= config.backoffFactor();
            growthTracker = 0;
            return false;
        }
        appliedSteps++;
        growthTracker++;
        if (growthTracker == config.growthInterval()) {
            float grown = scale * config.growthFactor();
            if (Float.isFinite(grown)) {
                scale = grown;
            }
            growthTracker = 0;
        }
        return true;
    }

    /** The configuration. */
    public Config config() {
        return config;
    }

    /** A snapshot for a checkpoint. */
    public State state() {
        return new State(scale, growthTracker, appliedSteps, skippedSteps);
    }

    /** Restores a snapshot taken by {@link #state()} (from a checkpoint). */
    public void restore(State state) {
        if (!(state.scale() > 0) || Float.isInfinite(state.scale()) || state.growthTracker() < 0
                || state.growthTracker() >= config.growthInterval() || state.appliedSteps() < 0 || state.skippedSteps() < 0) {
            throw new IllegalArgumentException("loss scale: inconsistent state " + state);
        }
        scale = state.scale();
        growthTracker = state.growthTracker();
        appliedSteps = state.appliedSteps();
        skippedSteps = state.skippedSteps();
    }
}
