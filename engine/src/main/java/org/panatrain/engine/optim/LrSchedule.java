// The learning rate per step: linear warmup, then cosine decay to minLr, as nanoGPT's get_lr.
package org.panatrain.engine.optim;

/**
 * nanoGPT's schedule over 0-based steps: {@code maxLr * (step+1) / (warmupSteps+1)} during
 * warmup; from {@code warmupSteps} to {@code totalSteps} a cosine from maxLr down to minLr;
 * minLr after.
 *
 * <pre>{@code
 * LrSchedule s = new LrSchedule(6e-4f, 6e-5f, 100, 5000);
 * float lr = s.at(step);
 * }</pre>
 */
public record LrSchedule(float maxLr, float minLr, int warmupSteps, int totalSteps) {

    public LrSchedule {
        if (!(maxLr >= 0) || !(minLr >= 0) || minLr > maxLr || warmupSteps < 0 || totalSteps < warmupSteps) {
            throw new IllegalArgumentException("a schedule needs 0 <= minLr <= maxLr and 0 <= warmup <= total steps, got "
                    + this);
        }
    }

    /** A constant learning rate. */
    public static LrSchedule constant(float lr) {
        return new LrSchedule(lr, lr, 0, 0);
    }

    /** The learning rate of 0-based {@code step}. */
    public float at(int step) {
        if (step < warmupSteps) {
            return (float) ((double) maxLr * (step + 1) / (warmupSteps + 1));
        }
        if (step >= totalSteps) {
            return minLr;
        }
        double ratio = (double) (step - warmupSteps) / (totalSteps - warmupSteps);
        double coeff = 0.5 * (1.0 + Math.cos(Math.PI * ratio));
        return (float) (minLr + coeff * (maxLr - minLr));
    }
}
