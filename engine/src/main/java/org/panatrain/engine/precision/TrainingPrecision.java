// The precision machinery of one training run as the training loop drives it: the policy, the
// loss scale the backward is seeded with, the unscale of the gradients with its fused non-finite
// check, the skip-or-apply bookkeeping of the loss scaler, and the FP8 scaling state of the CPU
// emulation, with their checkpoint snapshot. Leaves out a GPU backend's FP8 state: mixed
// precision trains on the CPU emulation only in this version (see backend()).
package org.panatrain.engine.precision;

import java.util.List;
import org.panatrain.engine.model.Gpt2;
import org.panatrain.engine.model.Parameter;
import org.panatrain.kernels.Kernels;
import org.panatrain.memory.Tensor;

/**
 * One run's precision: construct it for the model, seed every backward with {@link #lossScale()},
 * then per optimizer step:
 *
 * <pre>{@code
 * try (Kernels kernels = TrainingPrecision.backend(CpuKernels.create(), policy);
 *      Gpt2 model = Gpt2.create(cfg, kernels, seed);
 *      TrainingPrecision precision = new TrainingPrecision(policy, model)) {
 *     optimizer.zeroGrad();
 *     step.forwardBackward(inputs, targets, precision.lossScale());
 *     boolean apply = precision.unscaleGradients();   // false: a non-finite gradient, skip the step
 *     if (apply) { optimizer.clipGradNorm(1f); optimizer.step(lr); }
 *     precision.endStep(apply);
 * }
 * }</pre>
 */
public final class TrainingPrecision implements AutoCloseable {
    private final PrecisionPolicy policy;
    private final List<Tensor> gradients;
    private final LossScaler scaler;
    private final GradientUnscaler unscaler;            // null unless the policy needs loss scaling
    private final EmulatedPrecisionKernels emulation;   // null for fp32 on a plain backend

    /**
     * The precision of a run of {@code model}, whose kernels must be {@link #backend} of
     * {@code policy}; binds the emulation to the model's gradients and output head.
     */
    public TrainingPrecision(PrecisionPolicy policy, Gpt2 model) {
        Kernels kernels = model.kernels();
        if (kernels instanceof EmulatedPrecisionKernels emulated) {
            if (!emulated.policy().equals(policy)) {
                throw new IllegalArgumentException("the model's backend emulates " + emulated.policy()
                        + ", the run asks for " + policy);
            }
            this.emulation = emulated;
            Parameter head = model.parameter("wte.weight");   // the output head is tied to the token embedding
            emulated.bind(model.gradientBlock(), head.value(), head.grad());
        } else if (policy.precision() == Precision.FP32) {
            this.emulation = null;
        } else {
            throw new IllegalArgumentException("--precision " + policy.precision().cliName() + " needs the model on "
                    + "TrainingPrecision.backend(...), not on " + kernels.name());
        }
        this.policy = policy;
        this.gradients = List.of(model.gradientBlock());
        this.scaler = new LossScaler(scalerConfig(policy));
        this.unscaler = policy.needsLossScaling() ? new GradientUnscaler(kernels) : null;
    }

    /**
     * The backend a run in {@code policy} trains on: {@code base} itself for fp32, else the CPU
     * emulation over it. Closes {@code base} and throws IllegalArgumentException when {@code base}
     * is not a host backend: the CUDA backend has no mixed-precision training path yet.
     */
    public static Kernels backend(Kernels base, PrecisionPolicy policy) {
        if (policy.precision() == Precision.FP32) {
            return base;
        }
        if (base.location() != Tensor.Location.HOST) {
            String name = base.name();
            base.close();
            throw new IllegalArgumentException("--precision " + policy.precision().cliName() + " trains on the CPU "
                    + "(emulated) in this version, not on " + name + "; use --precision fp32 or --device cpu");
        }
        return new EmulatedPrecisionKernels(base, policy);
    }

    /** The backend that runs the arithmetic: {@code kernels}, or the one under an emulation. */
    public static Kernels device(Kernels kernels) {
        return kernels instanceof EmulatedPrecisionKernels emulated ? emulated.base() : kernels;
    }

    /** GradScaler's defaults where the policy needs loss scaling, else a scale of 1 that never changes. */
    static LossScaler.Config scalerConfig(PrecisionPolicy policy) {
        return policy.needsLossScaling() ? LossScaler.Config.defaults() : new LossScaler.Config(1f, 2f, 0.5f, Integer.MAX_VALUE);
    }

    /** The policy. */
    public PrecisionPolicy policy() {
        return policy;
    }

    /** The factor every backward's loss gradient is multiplied by (1 without loss scaling). */
    public float lossScale() {
        return scaler.scale();
    }

    /**
     * Under loss scaling, multiplies the parameter gradients by 1/scale, checking them for NaN
     * and infinity in the same pass, and returns whether all were finite; the optimizer step must
     * then be skipped. Without loss scaling, returns true and touches nothing.
     */
    public boolean unscaleGradients() {
        return unscaler == null || unscaler.unscale(gradients, scaler);
    }

    /** Ends an optimizer step, applied or skipped; a skip backs the loss scale off. */
    public void endStep(boolean applied) {
        if (!applied && unscaler == null) {
            throw new IllegalStateException("a step can only be skipped under loss scaling");
        }
        scaler.update(applied);
    }

    /** The loss scaler's scale and counters (applied and skipped steps). */
    public LossScaler.State lossScaler() {
        return scaler.state();
    }

    /** A snapshot for a checkpoint. */
    public PrecisionState state() {
        return new PrecisionState(policy.precision(), scaler.state(), emulation == null ? List.of() : emulation.fp8States());
    }

    /**
     * Restores a snapshot of a run in the same precision. Throws IllegalArgumentException with a
     * one-line message for another precision or a state that does not fit this run.
     */
    public void restore(PrecisionState state) {
        if (state.precision() != policy.precision()) {
            throw new IllegalArgumentException("the checkpoint was trained with --precision " + state.precision().cliName()
                    + ", this run uses " + policy.precision().cliName());
        }
        if (!state.fp8().isEmpty() && emulation == null) {
            throw new IllegalArgumentException("the checkpoint has FP8 scaling state but this run casts nothing to FP8");
        }
        scaler.restore(state.lossScaler());
        if (emulation != null) {
            emulation.restoreFp8States(state.fp8());
        }
    }

    @Override
    public void close() {
        if (unscaler != null) {
            unscaler.close();
        }
    }
}
