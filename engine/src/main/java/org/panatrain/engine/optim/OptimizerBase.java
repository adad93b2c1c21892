// What every optimizer holds the same way: its model, the gradient helper (zeroing, clipping by
// global norm), the step count (bias corrections and schedules read it; checkpoints save and
// restore it) and the arena of its state on the model's backend (device memory on a GPU), whose
// byte count is the state size reported. Leaves out the update rule and the layout of the state,
// which are each optimizer's own.
package org.panatrain.engine.optim;

import java.util.List;
import org.panatrain.engine.graph.BackendArena;
import org.panatrain.engine.model.Gpt2;
import org.panatrain.engine.model.ParameterSpec;
import org.panatrain.memory.DType;
import org.panatrain.memory.Tensor;

/** An {@link Optimizer} over {@code model} whose {@code step} increments {@link #stepCount} first. */
abstract class OptimizerBase implements Optimizer {
    protected final Gpt2 model;
    /** Where the state lives: zero-filled, on the model's backend, freed on close. */
    protected final BackendArena state;
    private final Gradients gradients;
    /** Steps taken, the current one included while it runs. */
    protected int stepCount;

    OptimizerBase(Gpt2 model) {
        this.model = model;
        this.state = BackendArena.forBackend(model.kernels());
        this.gradients = new Gradients(model);
    }

    /**
     * One zero-filled state block of {@code dtype} with an element per parameter element (P),
     * as views of each parameter's shape in table order: one allocation, as the model's own blocks.
     */
    protected final List<Tensor> parameterShapedState(DType dtype) {
        Tensor block = state.allocate(dtype, Math.toIntExact(model.parameterCount()));
        return model.parameters().stream().map(p -> {
            ParameterSpec s = p.spec();
            return block.slice(s.offset(), s.shape());
        }).toList();
    }

    @Override
    public Gpt2 model() {
        return model;
    }

    @Override
    public Gradients gradients() {
        return gradients;
    }

    @Override
    public int stepCount() {
        return stepCount;
    }

    @Override
    public void restoreStepCount(int count) {
        if (count < 0) {
            throw new IllegalArgumentException("step count must not be negative, got " + count);
        }
        stepCount = count;
    }

    /** Bytes of the state arena: everything the state tensors take on the backend. */
    @Override
    public long stateBytes() {
        return state.allocatedBytes();
    }

    /** Frees the gradient helper's scratch and the state. */
    @Override
    public void close() {
        gradients.close();
        state.close();
    }
}
