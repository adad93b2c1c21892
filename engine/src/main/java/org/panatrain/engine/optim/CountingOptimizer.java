// The step count every optimizer keeps (bias corrections and schedules read it; checkpoints save
// and restore it), in one place. Leaves out everything else an optimizer does.
package org.panatrain.engine.optim;

/** An {@link Optimizer} whose {@code step} increments {@link #stepCount} first. */
abstract class CountingOptimizer implements Optimizer {
    /** Steps taken, the current one included while it runs. */
    protected int stepCount;

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
}
