// Host memory for the state of the optimizers written in plain Java (Lion, Adafactor, AdamW8bit):
// zero-filled tensors in one shared arena, freed together. These optimizers read and write the
// model's tensors directly, so they need a backend whose tensors live on the host (the CPU).
package org.panatrain.engine.optim;

import java.lang.foreign.Arena;
import org.panatrain.engine.model.Gpt2;
import org.panatrain.memory.DType;
import org.panatrain.memory.Tensor;

/** Allocates an optimizer's host state. */
final class HostState implements AutoCloseable {
    private final Arena arena = Arena.ofShared(); // shared: a checkpoint may copy on another thread

    /** Checks that {@code model}'s tensors are on the host, where {@code optimizer} updates them. */
    static void requireHost(Gpt2 model, String optimizer) {
        if (model.kernels().location() != Tensor.Location.HOST) {
            throw new UnsupportedOperationException(optimizer + " updates parameters on the host; backend "
                    + model.kernels().name() + " keeps them on its device");
        }
    }

    /** A zero-filled host tensor. */
    Tensor allocate(DType dtype, int... shape) {
        return Tensor.host(arena.allocate(Tensor.numel(shape) * dtype.byteSize(), 64), dtype, shape);
    }

    @Override
    public void close() {
        arena.close();
    }
}
