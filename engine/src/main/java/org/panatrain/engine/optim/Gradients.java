// The gradient side of every optimizer: zeroing the model's gradient block before a step and
// clipping it by global norm as torch.nn.utils.clip_grad_norm_. Shared so that each optimizer
// only implements its update. Leaves out per-parameter-group clipping.
package org.panatrain.engine.optim;

import java.lang.foreign.Arena;
import java.util.List;
import org.panatrain.engine.graph.BackendArena;
import org.panatrain.engine.model.Gpt2;
import org.panatrain.kernels.Kernels;
import org.panatrain.memory.DType;
import org.panatrain.memory.Tensor;

/**
 * Zeroes and clips a model's gradients on its backend.
 *
 * <pre>{@code
 * try (Gradients gradients = new Gradients(model)) {
 *     gradients.zero();
 *     step.forwardBackward(inputs, targets, 1f);
 *     float norm = gradients.clipByGlobalNorm(1f);
 * }
 * }</pre>
 */
public final class Gradients implements AutoCloseable {
    private final Gpt2 model;
    private final Kernels kernels;
    private final List<Tensor> gradients;   // one flat (P) view: the global norm covers all of it
    private final BackendArena arena;
    private final Tensor sumOfSquares;      // (1) on the backend
    private final Arena hostArena = Arena.ofShared();
    private final Tensor hostSumOfSquares;  // (1)

    public Gradients(Gpt2 model) {
        this.model = model;
        this.kernels = model.kernels();
        this.gradients = List.of(model.gradientBlock());
        this.arena = BackendArena.forBackend(kernels);
        this.sumOfSquares = arena.allocate(DType.FP32, 1);
        this.hostSumOfSquares = Tensor.host(hostArena.allocate(4, 64), DType.FP32, 1);
    }

    /** Sets every parameter gradient to zero (before the first micro-batch of a step). */
    public void zero() {
        kernels.fill(model.gradientBlock(), 0f);
    }

    /**
     * Clips the gradients as torch.nn.utils.clip_grad_norm_: scales them by
     * min(1, maxNorm / (norm + 1e-6)). Returns the global L2 norm before clipping.
     */
    public float clipByGlobalNorm(float maxNorm) {
        kernels.sumOfSquares(sumOfSquares, gradients);
        kernels.clipByGlobalNorm(gradients, sumOfSquares, maxNorm);
        kernels.download(hostSumOfSquares, sumOfSquares);
        return (float) Math.sqrt(hostSumOfSquares.getFloat(0));
    }

    @Override
    public void close() {
        arena.close();
        hostArena.close();
    }
}
