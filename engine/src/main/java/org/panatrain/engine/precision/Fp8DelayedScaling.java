// Delayed scaling of one FP8 tensor, as Transformer Engine's DelayedScaling recipe with the "max"
// amax algorithm: the scale used in a step comes from the amaxes of the previous steps. Pure host
// state; amaxes are produced by the kernels that write the tensor. Leaves out TE's
// "most_recent" algorithm and custom scaling functions.
package org.panatrain.engine.precision;

import java.util.Arrays;
import java.util.Objects;
import org.panatrain.memory.DType;

/**
 * The scale of one FP8 tensor: values are cast as {@code fp8(x * scale())} and read back as
 * {@code fp8 * scaleInverse()}. After each step, {@link #update(float)} records that step's amax
 * (max |x| of the unscaled tensor) in a history of the last {@code historyLength} steps and sets
 * scale = FP8_max / amax / 2^margin with amax = max over the history (NaN propagates, as
 * torch.max does). A zero or non-finite amax, or a computed scale that overflows, keeps the
 * previous scale. The initial scale is 1 and the history starts at zeros.
 *
 * <pre>{@code
 * Fp8DelayedScaling s = Fp8DelayedScaling.of(DType.FP8_E4M3);   // history 1024, margin 0
 * float amax = PrecisionEmulation.quantizeDequantize(x, DType.FP8_E4M3, s.scale());
 * s.update(amax);
 * }</pre>
 */
public final class Fp8DelayedScaling {
    /** Transformer Engine's default amax history length. */
    public static final int DEFAULT_HISTORY_LENGTH = 1024;

    /**
     * Everything a checkpoint must hold: the format, the scale, the history ring and where the
     * next amax goes. Equal when all of them are (the history compared element by element).
     */
    public record State(DType format, float scale, float[] amaxHistory, int next) {
        public State {
            amaxHistory = amaxHistory.clone();
        }

        @Override
        public float[] amaxHistory() {
            return amaxHistory.clone();
        }

        @Override
        public boolean equals(Object o) {
            return o instanceof State s && s.format == format && Float.compare(s.scale, scale) == 0
                    && Arrays.equals(s.amaxHistory, amaxHistory) && s.next == next;
        }

        @Override
        public int hashCode() {
            return Objects.hash(format, scale, Arrays.hashCode(amaxHistory), next);
        }

        @Override
        public String toString() {
            return "State[" + format + ", scale " + scale + ", history of " + amaxHistory.length + ", next " + next + "]";
        }
    }

    private final DType format;
    private final int margin;
    private final float[] amaxHistory;   // (historyLength) ring buffer of per-step amaxes
    private int next;
    private float scale = 1f;

    /** Scaling into {@code format} (E4M3 or E5M2) over the last {@code historyLength} amaxes. */
    public Fp8DelayedScaling(DType format, int historyLength, int margin) {
        fp8Max(format);
        if (historyLength < 1) {
            throw new IllegalArgumentException("fp8 amax history length must be at least 1, got " + historyLength);
        }
        if (margin < 0) {
            throw new IllegalArgumentException("fp8 margin must be at least 0, got " + margin);
        }
        this.format = format;
        this.margin = margin;
        this.amaxHistory = new float[historyLength];
    }

    /** The defaults: history 1024, margin 0. */
    public static Fp8DelayedScaling of(DType format) {
        return new Fp8DelayedScaling(format, DEFAULT_HISTORY_LENGTH, 0);
    }

    /** The largest finite value of an FP8 format: 448 for E4M3, 57344 for E5M2. */
    public static float fp8Max(DType format) {
        return switch (format) {
            case FP8_E4M3 -> 448f;
            case FP8_E5M2 -> 57344f;
            default -> throw new IllegalArgumentException("not an FP8 format: " + format);
        };
    }

    /** The factor a value is multiplied by before the cast to FP8. */
    public float scale() {
        return scale;
    }

    /** 1/scale: the factor an FP8 value (or an FP8 matmul's result, per operand) is multiplied by. */
    public float scaleInverse() {
        return 1f / scale;
    }

    /** The FP8 format. */
    public DType format() {
        return format;
    }

    /** Records the amax of the step that just ended and recomputes the scale for the next one. */
    public void update(float amax) {
        amaxHistory[next] = amax;
        next = (next + 1) % amaxHistory.length;
        float windowMax = 0f;
        for (float a : amaxHistory) {
            windowMax = Float.isNaN(a) || Float.isNaN(windowMax) ? Float.NaN : Math.max(windowMax, a);
        }
        if (windowMax > 0f && Float.isFinite(windowMax)) {
            float computed = fp8Max(format) / windowMax / Math.scalb(1f, margin);
            if (Float.isFinite(computed)) {
                scale = computed;
            }
        }
    }

    /** A snapshot for a checkpoint. */
    public State state() {
        return new State(format, scale, amaxHistory, next);
    }

    /** Restores a snapshot taken by {@link #state()} with the same format and history length. */
    public void restore(State state) {
        if (state.format() != format) {
            throw new IllegalArgumentException("fp8 scaling: state is for " + state.format() + ", this tensor is " + format);
        }
        if (state.amaxHistory().length != amaxHistory.length || state.next() < 0 || state.next() >= amaxHistory.length
                || !(state.scale() > 0) || Float.isInfinite(state.scale())) {
            throw new IllegalArgumentException("fp8 scaling: state does not fit history length " + amaxHistory.length
                    + " (scale " + state.scale() + ", next " + state.next() + ", length " + state.amaxHistory().length + ")");
        }
        scale = state.scale();
        System.arraycopy(state.amaxHistory(), 0, amaxHistory, 0, amaxHistory.length);
        next = state.next();
    }
}
