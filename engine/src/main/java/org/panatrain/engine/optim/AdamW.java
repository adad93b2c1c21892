// AdamW over a Gpt2's FP32 master weights with PyTorch's semantics and nanoGPT's parameter
// groups (decay on 2+-D tensors only), plus clipping by global norm as clip_grad_norm_.
// The moments live in the model (allocated once with it); this class keeps the step count.
package org.panatrain.engine.optim;

import java.lang.foreign.Arena;
import java.util.List;
import org.panatrain.engine.graph.BackendArena;
import org.panatrain.engine.model.Gpt2;
import org.panatrain.engine.model.Parameter;
import org.panatrain.kernels.AdamWStep;
import org.panatrain.kernels.Kernels;
import org.panatrain.memory.DType;
import org.panatrain.memory.Tensor;

/**
 * The optimizer of a training loop.
 *
 * <pre>{@code
 * AdamW opt = new AdamW(model, AdamWConfig.defaults());
 * opt.zeroGrad();
 * step.forwardBackward(inputs, targets, 1f);
 * float norm = opt.clipGradNorm(1f);
 * opt.step(schedule.at(opt.stepCount()));
 * }</pre>
 */
public final class AdamW implements AutoCloseable {
    private final Gpt2 model;
    private final AdamWConfig config;
    private final Kernels kernels;
    private final List<Tensor> gradients;   // one flat (P) view: the global norm covers all of it
    private final BackendArena arena;
    private final Tensor sumOfSquares;      // (1) on the backend
    private final Arena hostArena = Arena.ofShared();
    private final Tensor hostSumOfSquares;  // (1)
    private int stepCount;

    public AdamW(Gpt2 model, AdamWConfig config) {
        this.model = model;
        this.config = config;
        this.kernels = model.kernels();
        this.gradients = List.of(model.gradientBlock());
        this.arena = BackendArena.forBackend(kernels);
        this.sumOfSquares = arena.allocate(DType.FP32, 1);
        this.hostSumOfSquares = Tensor.host(hostArena.allocate(4, 64), DType.FP32, 1);
    }

    /** Sets every parameter gradient to zero (before the first micro-batch of a step). */
    public void zeroGrad() {
        kernels.fill(model.gradientBlock(), 0f);
    }

    /**
     * Clips the gradients as torch.nn.utils.clip_grad_norm_: scales them by
     * min(1, maxNorm / (norm + 1e-6)). Returns the global L2 norm before clipping.
     */
    public float clipGradNorm(float maxNorm) {
        kernels.sumOfSquares(sumOfSquares, gradients);
        kernels.clipByGlobalNorm(gradients, sumOfSquares, maxNorm);
        kernels.download(hostSumOfSquares, sumOfSquares);
        return (float) Math.sqrt(hostSumOfSquares.getFloat(0));
    }

    /** One AdamW update of every parameter with learning rate {@code lr}. */
    public void step(float lr) {
        stepCount++;
        AdamWStep decay = new AdamWStep(lr, config.beta1(), config.beta2(), config.eps(), config.weightDecay(), stepCount);
        AdamWStep noDecay = new AdamWStep(lr, config.beta1(), config.beta2(), config.eps(), 0f, stepCount);
        for (Parameter p : model.parameters()) {
            kernels.adamW(p.value(), p.grad(), p.m(), p.v(), p.spec().decays() ? decay : noDecay);
        }
    }

    /** Number of updates done so far. */
    public int stepCount() {
        return stepCount;
    }

    /**
     * Sets the number of updates done, as a checkpoint recorded it: a resumed run's bias
     * corrections continue from there.
     */
    public void restoreStepCount(int count) {
        if (count < 0) {
            throw new IllegalArgumentException("step count must not be negative, got " + count);
        }
        stepCount = count;
    }

    /** The hyper-parameters. */
    public AdamWConfig config() {
        return config;
    }

    @Override
    public void close() {
        arena.close();
        hostArena.close();
    }
}
