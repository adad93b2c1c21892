// The outcome of a training run, as `train --json` reports it.
package org.panatrain.engine.train;

import org.panatrain.engine.precision.PrecisionState;

/**
 * @param steps           optimizer steps run
 * @param loss            mean training loss of the last step
 * @param valLoss         the last validation loss, or NaN when there was no validation data
 * @param tokensPerSecond training tokens divided by training time (validation excluded)
 * @param seconds         training time (validation excluded)
 * @param peakBytes       bytes the run holds on its device: weights, gradients, AdamW state, activations
 * @param precision       the precision's state at the end: loss scale, applied and skipped steps, FP8 scaling
 */
public record TrainResult(int steps, float loss, double valLoss, double tokensPerSecond, double seconds,
                          long peakBytes, PrecisionState precision) {
}
