// The gradient pass of dynamic loss scaling on any backend: the NaN/Inf check fused with the
// multiply by 1/scale (Kernels.unscaleAndCheckFinite: one pass on the CPU; the CUDA backend runs
// its two-pass default until it has a fused kernel), with only a one-float flag crossing to the
// host. Leaves out the loss scale's bookkeeping, which is LossScaler's.
package org.panatrain.engine.precision;

import java.lang.foreign.Arena;
import java.util.List;
import org.panatrain.engine.graph.BackendArena;
import org.panatrain.kernels.Kernels;
import org.panatrain.memory.DType;
import org.panatrain.memory.Tensor;

/**
 * Unscales gradients in place and says whether they were all finite.
 *
 * <pre>{@code
 * try (GradientUnscaler unscaler = new GradientUnscaler(kernels)) {
 *     boolean finite = unscaler.unscale(List.of(model.gradientBlock()), scaler);
 *     scaler.update(finite);
 * }
 * }</pre>
 */
public final class GradientUnscaler implements AutoCloseable {
    private final Kernels kernels;
    private final BackendArena arena;
    private final Tensor flag;                          // (1) FP32 on the backend: 1 if non-finite
    private final Arena hostArena = Arena.ofConfined();
    private final Tensor hostFlag;                      // (1) FP32

    public GradientUnscaler(Kernels kernels) {
        this.kernels = kernels;
        this.arena = BackendArena.forBackend(kernels);
        this.flag = arena.allocate(DType.FP32, 1);
        this.hostFlag = Tensor.host(hostArena.allocate(4, 64), DType.FP32, 1);
    }

    /**
     * Checks every element of {@code gradients} for NaN and infinity, then multiplies them all by
     * {@code scaler.inverseScale()}. The check reads the values before the multiply, as PyTorch's
     * _amp_foreach_non_finite_check_and_unscale_ does. Returns true when all were finite.
     */
    public boolean unscale(List<Tensor> gradients, LossScaler scaler) {
        kernels.unscaleAndCheckFinite(flag, gradients, scaler.inverseScale());
        kernels.download(hostFlag, flag);
        return hostFlag.getFloat(0) == 0f;
    }

    @Override
    public void close() {
        arena.close();
        hostArena.close();
    }
}
