// Test helper for the optimizer tests: a small model whose parameters get random values, then
// several steps with random gradients (the caller replays them in float64), and the error of
// what the optimizer moved against what the reference moved.
package org.panatrain.engine.optim;

import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Random;
import org.panatrain.engine.model.Gpt2;
import org.panatrain.engine.model.Gpt2Config;
import org.panatrain.engine.model.Parameter;
import org.panatrain.engine.model.TestTensors;
import org.panatrain.kernels.Kernels;

/** Random steps of an optimizer and their float64 comparison. */
final class OptimizerRuns {
    /**
     * One layer, C=32, V=48, maxT=8: matrices up to 32 x 128 (4096 elements, 16 blocks of 256),
     * vectors of 32 to 128 elements (partial blocks), 15k parameters in all.
     */
    static final Gpt2Config SMALL = new Gpt2Config(1, 2, 32, 8, 48);

    /**
     * Bar of {@link #displacementError} for an FP32 optimizer against float64: the weights are
     * N(0,1) (up to ~4, where a float's ulp is 4.8e-7) and move by ~0.03 in five steps, so rounding
     * alone reaches ~1e-6 / 0.03 = 3e-5; a wrong coefficient or sign moves an element by a
     * sizeable fraction of a step (>= 1e-2 of the movement).
     */
    static final double FLOAT32_BAR = 2e-4;

    /** Per parameter name: the values before the first step and the gradient of each step. */
    record Run(Map<String, float[]> initial, Map<String, float[][]> grads) {
    }

    private OptimizerRuns() {
    }

    /**
     * Gives every parameter N(0,1) values, then runs {@code lrs.length} steps of {@code optimizer}
     * with N(0, gradScales[t]^2) gradients.
     */
    static Run run(Kernels kernels, Optimizer optimizer, long seed, float[] lrs, float[] gradScales) {
        Random random = new Random(seed);
        Gpt2 model = optimizer.model();
        Map<String, float[]> initial = new LinkedHashMap<>();
        Map<String, float[][]> grads = new LinkedHashMap<>();
        for (Parameter p : model.parameters()) {
            int n = Math.toIntExact(p.value().numel());
            float[] value = gaussian(random, n, 1f);
            TestTensors.write(kernels, p.value(), value);
            initial.put(p.name(), value);
            float[][] g = new float[lrs.length][];
            for (int t = 0; t < lrs.length; t++) {
                g[t] = gaussian(random, n, gradScales[t]);
            }
            grads.put(p.name(), g);
        }
        for (int t = 0; t < lrs.length; t++) {
            for (Parameter p : model.parameters()) {
                TestTensors.write(kernels, p.grad(), grads.get(p.name())[t]);
            }
            optimizer.step(lrs[t]);
        }
        return new Run(initial, grads);
    }

    /**
     * max |moved - expectedMoved| / max |expectedMoved|, where moved = value now - initial and
     * expectedMoved = expected - initial: the error relative to the size of the updates, not of the weights.
     */
    static double displacementError(Kernels kernels, Parameter p, float[] initial, double[] expected) {
        float[] now = TestTensors.read(kernels, p.value());
        double maxDiff = 0;
        double maxMove = 0;
        for (int i = 0; i < now.length; i++) {
            maxDiff = Math.max(maxDiff, Math.abs((double) now[i] - expected[i]));
            maxMove = Math.max(maxMove, Math.abs(expected[i] - initial[i]));
        }
        return maxDiff / maxMove;
    }

    static double[] toDouble(float[] x) {
        double[] d = new double[x.length];
        for (int i = 0; i < x.length; i++) {
            d[i] = x[i];
        }
        return d;
    }

    private static float[] gaussian(Random random, int n, float scale) {
        float[] x = new float[n];
        for (int i = 0; i < n; i++) {
            x[i] = (float) (scale * random.nextGaussian());
        }
        return x;
    }
}
