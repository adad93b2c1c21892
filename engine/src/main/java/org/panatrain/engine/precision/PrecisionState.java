// The precision part of a training run's checkpoint: which precision the run trains in, its loss
// scaler and the delayed-scaling state of every FP8 tensor. Plain data; TrainingPrecision takes
// and restores it, the checkpoint package writes it into state.json.
package org.panatrain.engine.precision;

import java.util.List;

/**
 * A snapshot of {@link TrainingPrecision}.
 *
 * <pre>{@code
 * PrecisionState saved = precision.state();     // into the checkpoint
 * precision.restore(saved);                     // on resume, same precision only
 * }</pre>
 *
 * @param precision  the run's --precision
 * @param lossScaler the loss scaler (scale 1 that never grows where the precision needs no loss scaling)
 * @param fp8        the FP8 scaling of each operand tensor, in the order a step first casts them (empty unless fp8)
 */
public record PrecisionState(Precision precision, LossScaler.State lossScaler, List<Fp8DelayedScaling.State> fp8) {
    public PrecisionState {
        fp8 = List.copyOf(fp8);
    }

    /** The state of a run that has not taken a step in {@code precision}. */
    public static PrecisionState initial(Precision precision) {
        return new PrecisionState(precision, new LossScaler(TrainingPrecision.scalerConfig(PrecisionPolicy.of(precision)))
                .state(), List.of());
    }

    /**
     * One line for the end of a run, e.g. "fp16: 198 steps applied, 2 skipped (non-finite
     * gradients), loss scale 32768" or "fp8: 200 steps, 26 FP8 tensors under delayed scaling".
     */
    public String summary() {
        String name = precision.cliName();
        PrecisionPolicy policy = PrecisionPolicy.of(precision);
        if (policy.needsLossScaling()) {
            float scale = lossScaler.scale();
            return String.format("%s: %d steps applied, %d skipped (non-finite gradients), loss scale %s", name,
                    lossScaler.appliedSteps(), lossScaler.skippedSteps(),
                    scale == Math.rint(scale) && scale < 1e15f ? Long.toString((long) scale) : Float.toString(scale));
        }
        String steps = name + ": " + lossScaler.appliedSteps() + " steps";
        return policy.usesFp8() ? steps + ", " + fp8.size() + " FP8 tensors under delayed scaling" : steps;
    }
}
