// The outcome of a training run, as `train --json` reports it.
package org.panatrain.engine.train;

import org.panatrain.engine.precision.PrecisionState;

/**
 * @param steps           the step the run ended at (a resumed run counts the steps before it too)
 * @param loss            mean training loss of the last step (NaN when a resumed run had no step left)
 * @param valLoss         the last validation loss, or NaN when there was no validation data
 * @param testLoss        the test split's loss after training, or NaN when there was none
 * @param tokensPerSecond training tokens divided by training time (validation excluded), of the steps run here
 * @param seconds         training time (validation excluded)
 * @param peakBytes       bytes the run holds on its device: weights, gradients, optimizer state, activations
 * @param stoppedEarly    whether early stopping ended the run before its last step
 * @param precision       the precision's state at the end: loss scale, applied and skipped steps, FP8 scaling
 * @param interrupted     whether a stop request (SIGINT) ended the run before its last step
 */
public record TrainResult(int steps, float loss, double valLoss, double testLoss, double tokensPerSecond,
                          double seconds, long peakBytes, boolean stoppedEarly, PrecisionState precision,
                          boolean interrupted) {
}
