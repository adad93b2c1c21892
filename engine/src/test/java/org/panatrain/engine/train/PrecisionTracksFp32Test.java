// The CPU test of mixed precision: gpt2-tiny trained by the Trainer on the built-in corpus
// in bf16, fp16 (loss scaling) and fp8 (delayed scaling) through the CPU emulation stays within a
// stated margin of the same run in FP32 (same init, data order and schedule), window by window
// of the loss curve. The margin and its derivation are at MARGIN below.
package org.panatrain.engine.train;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.panatrain.engine.data.ArithmeticCorpus;
import org.panatrain.engine.data.TokenSource;
import org.panatrain.engine.model.Gpt2;
import org.panatrain.engine.model.Gpt2Config;
import org.panatrain.engine.precision.Precision;
import org.panatrain.engine.precision.PrecisionPolicy;
import org.panatrain.engine.precision.TrainingPrecision;
import org.panatrain.kernels.cpu.CpuKernels;

class PrecisionTracksFp32Test {
    /**
     * Steps per run: the 200 take 3.5 to 15 s per precision on 2 busy cores (about 30 s for
     * the four, the first run paying for the JIT), too slow for the suite, so the suite runs
     * {@value #DEFAULT_STEPS}; scripts/precision-curves.sh runs the test with
     * -Dpanatrain.test.precisionSteps=200.
     */
    static final String STEPS_PROPERTY = "panatrain.test.precisionSteps";
    static final int DEFAULT_STEPS = 100;
    static final int STEPS = Integer.getInteger(STEPS_PROPERTY, DEFAULT_STEPS);
    /** Steps averaged per point of the compared curves: single steps are noisy batch to batch. */
    static final int WINDOW = 10;
    /**
     * Margin, nats, on every window mean: 0.1. Why: a correct mixed-precision path perturbs
     * training by rounding, and must move the loss curve less than FP32 itself moves when only the
     * seed changes. Measured on this recipe (200 steps, `train --model gpt2-tiny --batch 4 --seq 32
     * --lr 1e-3 --min-lr 1e-4 --warmup 10 --threads 2 --seed S` for S = 1337..1340, FP32; the
     * run of seed 1337 reproduces this test's FP32 curve): the largest window gap between two seeds is
     * 0.10 to 0.55 nats (0.10 the smallest pair), the last window's 0.003 to 0.012. This test's
     * precisions, same seed as FP32, measured: largest window gap 0.030 (bf16), 0.028 (fp16), 0.045
     * (fp8), last window within 0.002 of FP32 for all three. The unit roundoffs (bf16 2^-8, fp16
     * 2^-11, E4M3 2^-4 relative per rounded value) order the gaps as seen (fp8 largest) but do not
     * bound them: training amplifies rounding like any perturbation, hence the empirical bar. The learning rate
     * is 1e-3 because at 3e-3 this model and batch spike near step 45 even in FP32 (window means
     * 2.55, 2.55, 2.57 where they fall elsewhere) and every low precision amplified that spike
     * (by 0.4 to 1.6 nats), which would compare instabilities rather than precisions.
     */
    static final double MARGIN = 0.1;

    static final Gpt2Config MODEL = Gpt2Config.named("gpt2-tiny");
    static final TrainConfig CONFIG = new TrainConfig(4, 32, 1, STEPS, 1e-3f, 1e-4f, STEPS / 20, 0.1f, 1f, 0, 1, 1337);
    static double[] fp32Curve;

    @BeforeAll
    static void fp32Reference() {
        fp32Curve = curve(Precision.FP32);
        assertThat(fp32Curve[fp32Curve.length - 1]).as("the FP32 reference learns").isLessThan(fp32Curve[0] * 0.6);
    }

    @Test
    void bf16TracksFp32() {
        assertTracksFp32(Precision.BF16);
    }

    @Test
    void fp16WithLossScalingTracksFp32() {
        assertTracksFp32(Precision.FP16);
    }

    @Test
    void fp8WithDelayedScalingTracksFp32() {
        assertTracksFp32(Precision.FP8);
    }

    private static void assertTracksFp32(Precision precision) {
        double[] curve = curve(precision);
        double worst = 0;
        for (int w = 0; w < curve.length; w++) {
            worst = Math.max(worst, Math.abs(curve[w] - fp32Curve[w]));
        }
        System.out.printf("%s: %d steps, windows of %d: max |mean loss - fp32| %.4f; last window %.4f (fp32 %.4f)%n",
                precision.cliName(), STEPS, WINDOW, worst, curve[curve.length - 1], fp32Curve[fp32Curve.length - 1]);
        // Zero would mean the emulation rounded nothing.
        assertThat(worst).as("largest window gap to FP32").isGreaterThan(0).isLessThan(MARGIN);
    }

    /** The mean training loss of each window of {@link #WINDOW} steps of a run in {@code precision}. */
    static double[] curve(Precision precision) {
        PrecisionPolicy policy = PrecisionPolicy.of(precision);
        ArithmeticCorpus corpus = ArithmeticCorpus.standard();
        TokenSource train = TokenSource.of(corpus.trainTokens(CONFIG.tokensPerStep() * STEPS + 1, CONFIG.seed()), "train");
        List<Float> losses = new ArrayList<>();
        long start = System.nanoTime();
        TrainResult result;
        try (var kernels = TrainingPrecision.backend(CpuKernels.create(2), policy);
             Gpt2 model = Gpt2.create(MODEL, kernels, CONFIG.seed())) {
            result = Trainer.train(model, CONFIG, train, null, new RunControl(0, null, null, null, policy),
                    r -> losses.add(r.loss()));
        }
        double[] curve = new double[STEPS / WINDOW];
        for (int s = 0; s < curve.length * WINDOW; s++) {
            curve[s / WINDOW] += losses.get(s) / WINDOW;
        }
        System.out.printf("%s: %d steps in %.1f s, final loss %.4f, %s; curve %s%n", precision.cliName(), STEPS,
                (System.nanoTime() - start) * 1e-9, result.loss(), result.precision().summary(),
                Arrays.stream(curve).mapToObj(x -> String.format("%.3f", x)).toList());
        return curve;
    }
}
