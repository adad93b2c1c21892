// The hyperparameters of one training run, checked together (warmup within the steps, minimum
// learning rate below the maximum, ...). Model shape, data and device are chosen elsewhere.
package org.panatrain.engine.train;

/**
 * What the {@link Trainer} loop needs besides a model and data.
 *
 * <pre>{@code
 * TrainConfig cfg = new TrainConfig(16, 64, 1, 600, 3e-3f, 3e-4f, 30, 0.1f, 1.0f, 100, 8, 1337);
 * int tokensPerStep = cfg.tokensPerStep();   // 16 * 64 * 1
 * }</pre>
 *
 * @param microBatch  B, sequences per forward/backward
 * @param seq         T, tokens per sequence
 * @param gradAccum   micro-batches per optimizer step (global batch = B x gradAccum sequences)
 * @param steps       optimizer steps
 * @param lr          peak learning rate
 * @param minLr       learning rate at the end of the cosine decay
 * @param warmup      steps of linear warmup
 * @param weightDecay AdamW's decoupled weight decay (on 2+-D tensors only)
 * @param clip        global gradient-norm clip; 0 turns clipping off
 * @param evalEvery   steps between validation losses; 0 = only at the end (when there is validation data)
 * @param evalBatches B x T batches per validation loss
 * @param seed        model initialization seed (and, with dropout, of its masks)
 * @param dropout     probability of dropping an element at each dropout site in training, in [0, 1)
 */
public record TrainConfig(int microBatch, int seq, int gradAccum, int steps, float lr, float minLr, int warmup,
                          float weightDecay, float clip, int evalEvery, int evalBatches, long seed, float dropout) {

    /** A run without dropout. */
    public TrainConfig(int microBatch, int seq, int gradAccum, int steps, float lr, float minLr, int warmup,
                       float weightDecay, float clip, int evalEvery, int evalBatches, long seed) {
        this(microBatch, seq, gradAccum, steps, lr, minLr, warmup, weightDecay, clip, evalEvery, evalBatches, seed, 0f);
    }

    public TrainConfig {
        positive("batch", microBatch);
        positive("seq", seq);
        positive("grad-accum", gradAccum);
        positive("steps", steps);
        positive("eval-batches", evalBatches);
        if (!(lr > 0) || !Float.isFinite(lr)) {
            throw new IllegalArgumentException("--lr must be positive, got " + lr);
        }
        if (minLr < 0 || minLr > lr) {
            throw new IllegalArgumentException("--min-lr must be in [0, lr = " + lr + "], got " + minLr);
        }
        if (warmup < 0 || warmup > steps) {
            throw new IllegalArgumentException("--warmup must be in [0, steps = " + steps + "], got " + warmup);
        }
        if (weightDecay < 0 || clip < 0 || evalEvery < 0) {
            throw new IllegalArgumentException("--weight-decay, --clip and --eval-every must not be negative");
        }
        if (!(dropout >= 0 && dropout < 1)) {
            throw new IllegalArgumentException("--dropout must be in [0, 1), got " + dropout);
        }
    }

    private static void positive(String name, int v) {
        if (v < 1) {
            throw new IllegalArgumentException("--" + name + " must be positive, got " + v);
        }
    }

    /** This config with dropout probability {@code p}. */
    public TrainConfig withDropout(float p) {
        return new TrainConfig(microBatch, seq, gradAccum, steps, lr, minLr, warmup, weightDecay, clip, evalEvery,
                evalBatches, seed, p);
    }

    /** Tokens one optimizer step trains on: B x T x gradAccum. */
    public long tokensPerStep() {
        return (long) microBatch * seq * gradAccum;
    }
}
