// What the trainer reports after each optimizer step: the numbers of a progress line and of a
// metrics-file record. MFU counts the model's FLOPs; HFU also the FLOPs of recomputed activations
// (what the hardware really did), so the two differ exactly when a layer recomputes.
package org.panatrain.engine.train;

/**
 * One finished optimizer step.
 *
 * @param step            1-based step number
 * @param steps           total steps of the run
 * @param loss            mean training loss of this step's micro-batches
 * @param lr              learning rate this step used
 * @param gradNorm        global gradient norm before clipping (NaN when clipping is off)
 * @param tokensPerSecond tokens of this step divided by its wall time
 * @param elapsedSeconds  training time so far (validation excluded)
 * @param etaSeconds      estimated training time left, from a moving average of the step time
 * @param valLoss         validation loss measured after this step, or NaN
 * @param flopsPerStep    model FLOPs of the step, all micro-batches (the graph's, recompute excluded: see OpFlops)
 * @param tflops          flopsPerStep over the step's wall time, in 10^12 FLOP/s (the numerator of MFU)
 * @param recomputeFlopsPerStep FLOPs of the activations the backward recomputed, all micro-batches (0 without recompute)
 * @param loaderWaitSeconds time this step waited for its batches (0 when read in place)
 * @param peakBytes       bytes the run holds on its device: weights, gradients, optimizer state, activations
 */
public record StepReport(int step, int steps, float loss, float lr, float gradNorm, double tokensPerSecond,
                         double elapsedSeconds, double etaSeconds, double valLoss, long flopsPerStep, double tflops,
                         long recomputeFlopsPerStep, double loaderWaitSeconds, long peakBytes) {

    /** Model and recompute FLOPs over the step's wall time, in 10^12 FLOP/s (the numerator of HFU). */
    public double hardwareTflops() {
        return tflops + tflops * recomputeFlopsPerStep / flopsPerStep; // exactly tflops without recompute
    }
}
