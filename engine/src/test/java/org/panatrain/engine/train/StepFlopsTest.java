// The FLOPs a step reports against GPT-2's matmul count written here: per token, each layer's
// four matmuls (qkv C x 3C, attention projection C x C, MLP C x 4C and 4C x C) cost
// 2 * 12 C^2, attention's two products 4 T C, the LM head 2 C V; the backward costs twice the
// forward (a gradient for the input and one for the weight of each product). The metrics file
// carries them with tflops and mfu (null without a peak rate, tflops / peak with one).
package org.panatrain.engine.train;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.data.Percentage.withPercentage;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Random;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.panatrain.engine.data.TokenSource;
import org.panatrain.engine.io.Json;
import org.panatrain.engine.model.Gpt2;
import org.panatrain.engine.model.Gpt2Config;
import org.panatrain.kernels.cpu.CpuKernels;

class StepFlopsTest {
    @TempDir
    Path dir;

    @Test
    @SuppressWarnings("unchecked")
    void flopsPerStepAreThreeTimesTheForwardMatmulsAndReachTheMetricsFile() throws Exception {
        int L = 2;
        int C = 16;
        int V = 64;
        int B = 2;
        int T = 8;
        int accum = 3;
        Gpt2Config cfg = new Gpt2Config(L, 2, C, 16, V);
        TrainConfig config = new TrainConfig(B, T, accum, 2, 1e-3f, 1e-4f, 0, 0.1f, 1f, 0, 1, 5);
        long N = (long) B * T;
        long forward = L * (2 * 12L * C * C * N + 4L * T * C * N) + 2L * C * V * N;
        long expected = 3 * forward * accum;

        int[] tokens = new Random(1).ints(1000, 0, V).toArray();
        Path file = dir.resolve("metrics.jsonl");
        Path withPeak = dir.resolve("peak.jsonl");
        List<StepReport> reports = new ArrayList<>();
        try (CpuKernels kernels = CpuKernels.create(1);
             Gpt2 model = Gpt2.create(cfg, kernels, 1);
             MetricsWriter metrics = new MetricsWriter(file);
             MetricsWriter peakMetrics = new MetricsWriter(withPeak, false, 0.5)) {
            Trainer.train(model, config, TokenSource.of(tokens, "random"), null, r -> {
                reports.add(r);
                metrics.onStep(r);
                peakMetrics.onStep(r);
            });
        }
        for (StepReport r : reports) {
            assertThat(r.flopsPerStep()).isEqualTo(expected);
            // tflops and tokens/s come from the same step time
            assertThat(r.tflops() * 1e12 / expected).isCloseTo(r.tokensPerSecond() / config.tokensPerStep(),
                    withPercentage(1e-6));
        }
        List<String> lines = Files.readAllLines(file);
        List<String> peakLines = Files.readAllLines(withPeak);
        assertThat(lines).hasSize(2);
        for (int i = 0; i < 2; i++) {
            Map<String, Object> line = (Map<String, Object>) Json.parse(lines.get(i));
            assertThat(line.get("flops_per_step")).isEqualTo(expected);
            double tflops = ((Number) line.get("tflops")).doubleValue();
            assertThat(tflops).isCloseTo(reports.get(i).tflops(), withPercentage(1e-6));
            assertThat(line).containsEntry("mfu", null);
            Map<String, Object> peakLine = (Map<String, Object>) Json.parse(peakLines.get(i));
            assertThat(((Number) peakLine.get("mfu")).doubleValue()).isCloseTo(tflops / 0.5, withPercentage(1e-6));
        }
    }
}
