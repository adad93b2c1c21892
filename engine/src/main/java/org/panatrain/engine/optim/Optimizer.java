// What the trainer needs of an optimizer, whichever it is (AdamW, Lion, Adafactor, AdamW8bit):
// zero and clip the gradients, update every parameter with a learning rate, count the updates,
// and name its state tensors so that a checkpoint can save and restore them. Leaves out
// parameter groups other than nanoGPT's (decay on 2+-D tensors only) and per-group learning rates.
package org.panatrain.engine.optim;

import java.util.SequencedMap;
import org.panatrain.engine.model.Gpt2;
import org.panatrain.memory.Tensor;

/**
 * An optimizer over one model's parameters.
 *
 * <pre>{@code
 * try (Optimizer opt = OptimizerKind.parse("lion").create(model, 0.1f)) {
 *     opt.zeroGrad();
 *     step.forwardBackward(inputs, targets, 1f);
 *     opt.clipGradNorm(1f);
 *     opt.step(schedule.at(opt.stepCount()));
 *     System.out.println(opt.stateBytesPerParameter() + " bytes of state per parameter");
 * }
 * }</pre>
 */
public interface Optimizer extends AutoCloseable {

    /** The CLI name: adamw, lion, adafactor, adamw8bit. */
    String name();

    /** The name and hyper-parameters, for logs and reports ("Lion betas 0.9/0.99, ..."). */
    String description();

    /** The model whose parameters this optimizer updates. */
    Gpt2 model();

    /** Zeroing and clipping of the model's gradients. */
    Gradients gradients();

    /** One update of every parameter with learning rate {@code lr}; counts one step. */
    void step(float lr);

    /** Number of updates done so far. */
    int stepCount();

    /**
     * Sets the number of updates done, as a checkpoint recorded it: a resumed run's bias
     * corrections and decay schedules continue from there.
     */
    void restoreStepCount(int count);

    /**
     * The optimizer state by name, in a fixed order (names as PyTorch's, Hugging Face's or
     * bitsandbytes' state dicts call them, with the parameter name after a dot): what a checkpoint
     * saves, and the tensors it restores into. Live views: writing them changes the state.
     */
    SequencedMap<String, Tensor> stateTensors();

    /** Sets every parameter gradient to zero (before the first micro-batch of a step). */
    default void zeroGrad() {
        gradients().zero();
    }

    /** Clips as torch.nn.utils.clip_grad_norm_; returns the global norm before clipping. */
    default float clipGradNorm(float maxNorm) {
        return gradients().clipByGlobalNorm(maxNorm);
    }

    /**
     * Bytes the optimizer's state holds on the model's backend, as its allocator counts them
     * (the model's weights and gradients not included: {@link Gpt2#allocatedBytes()}).
     */
    long stateBytes();

    /** {@link #stateBytes()} over the model's parameter count (AdamW 8, Lion 4, ...). */
    default double stateBytesPerParameter() {
        return (double) stateBytes() / model().parameterCount();
    }

    @Override
    void close();
}
