// What every optimizer holds the same way: its model, the gradient helper (zeroing, clipping by
// global norm) and the step count (bias corrections and schedules read it; checkpoints save and
// restore it). Leaves out the update rule and the state, which are each optimizer's own.
package org.panatrain.engine.optim;

import org.panatrain.engine.model.Gpt2;

/** An {@link Optimizer} over {@code model} whose {@code step} increments {@link #stepCount} first. */
abstract class OptimizerBase implements Optimizer {
    protected final Gpt2 model;
    private final Gradients gradients;
    /** Steps taken, the current one included while it runs. */
    protected int stepCount;

    OptimizerBase(Gpt2 model) {
        this.model = model;
        this.gradients = new Gradients(model);
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

    /** Frees the gradient helper's scratch; optimizers with state of their own free it too. */
    @Override
    public void close() {
        gradients.close();
    }
}
