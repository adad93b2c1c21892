// The metrics file's hfu, loader_wait_s and peak_bytes on a run read by the prefetching loader:
// under a peak rate, hfu / mfu is (model + recompute FLOPs) / model FLOPs of the memory plan of
// the same step (so hfu = mfu exactly when no layer recomputes), the per-step waits add up to the
// loader's total, and peak_bytes is weights + gradients + AdamW's moments (16 bytes a parameter)
// plus the plan's activation arena.
package org.panatrain.engine.train;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.Random;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.panatrain.engine.data.ShardLoader;
import org.panatrain.engine.data.TokenSource;
import org.panatrain.engine.graph.RecomputePolicy;
import org.panatrain.engine.graph.Scheduler;
import org.panatrain.engine.io.Json;
import org.panatrain.engine.io.TokenShard;
import org.panatrain.engine.model.Gpt2;
import org.panatrain.engine.model.Gpt2Config;
import org.panatrain.engine.model.Gpt2MemoryPlan;
import org.panatrain.engine.optim.AdamW;
import org.panatrain.engine.optim.AdamWConfig;
import org.panatrain.kernels.Kernels;
import org.panatrain.kernels.cpu.CpuKernels;

class StepMetricsTest {
    private static final Gpt2Config MODEL = new Gpt2Config(2, 2, 16, 16, 64);
    private static final int B = 2;
    private static final int T = 16;
    private static final double PEAK_TFLOPS = 0.5;

    @TempDir
    Path dir;

    @Test
    @SuppressWarnings("unchecked")
    void hfuCountsTheRecomputeOfThePlanAndTheWaitsAddUpToTheLoaders() throws Exception {
        Path shard = dir.resolve("train.bin");
        TokenShard.write(shard, new Random(4).ints(300, 0, MODEL.vocabSize()).toArray());
        TrainConfig config = new TrainConfig(B, T, 2, 3, 1e-2f, 1e-3f, 1, 0.1f, 1f, 0, 1, 7);
        for (RecomputePolicy policy : RecomputePolicy.values()) {
            Gpt2MemoryPlan plan = Gpt2MemoryPlan.uniform(MODEL, Gpt2MemoryPlan.FP32, B, T, policy, Long.MAX_VALUE);
            double ratio = (double) (plan.schedule().modelFlops() + plan.schedule().recomputeFlops())
                    / plan.schedule().modelFlops();
            Path file = dir.resolve(policy + ".jsonl");
            long loaderWaitNanos;
            try (Kernels k = CpuKernels.create(1); Gpt2 model = Gpt2.create(MODEL, k, config.seed());
                 AdamW optimizer = new AdamW(model, AdamWConfig.defaults().withWeightDecay(config.weightDecay()));
                 ShardLoader loader = ShardLoader.open(List.of(shard), MODEL.vocabSize(), B, T, 7, 0, 1);
                 MetricsWriter metrics = new MetricsWriter(file, false, PEAK_TFLOPS)) {
                RunControl control = new RunControl(0, null, null, Scheduler.uniform(policy, MODEL.nLayer()), null);
                Trainer.train(optimizer, config, loader, null, control, metrics);
                loaderWaitNanos = loader.waitNanos();
            }
            List<String> lines = Files.readAllLines(file);
            assertThat(lines).hasSize(config.steps());
            double waits = 0;
            for (String text : lines) {
                Map<String, Object> line = (Map<String, Object>) Json.parse(text);
                assertThat(line.keySet()).contains("mfu", "hfu", "recompute_flops_per_step", "loader_wait_s", "peak_bytes");
                double mfu = ((Number) line.get("mfu")).doubleValue();
                double hfu = ((Number) line.get("hfu")).doubleValue();
                assertThat(hfu / mfu).as(policy.toString()).isCloseTo(ratio, within(1e-12));
                if (policy == RecomputePolicy.NONE) {
                    assertThat(hfu).isEqualTo(mfu);
                } else {
                    assertThat(hfu).as(policy.toString()).isGreaterThan(mfu);
                }
                assertThat(((Number) line.get("recompute_flops_per_step")).longValue())
                        .isEqualTo(plan.schedule().recomputeFlops() * config.gradAccum());
                double wait = ((Number) line.get("loader_wait_s")).doubleValue();
                assertThat(wait).isNotNegative();
                waits += wait;
                assertThat(((Number) line.get("peak_bytes")).longValue())
                        .isEqualTo(16 * MODEL.parameterCount() + plan.arena().memory().peakBytes());
            }
            assertThat(waits).isCloseTo(loaderWaitNanos * 1e-9, within(1e-9));
        }
    }

    @Test
    @SuppressWarnings("unchecked")
    void withoutAPeakRateHfuIsNullAsMfu() throws Exception {
        Path file = dir.resolve("cpu.jsonl");
        TrainConfig config = new TrainConfig(B, T, 1, 1, 1e-2f, 1e-3f, 0, 0.1f, 1f, 0, 1, 7);
        try (Kernels k = CpuKernels.create(1); Gpt2 model = Gpt2.create(MODEL, k, 1);
             MetricsWriter metrics = new MetricsWriter(file)) {
            Trainer.train(model, config, TokenSource.of(
                    new Random(5).ints(100, 0, MODEL.vocabSize()).toArray(), "t"), null, metrics);
        }
        Map<String, Object> line = (Map<String, Object>) Json.parse(Files.readAllLines(file).getFirst());
        assertThat(line).containsEntry("mfu", null).containsEntry("hfu", null).containsEntry("loader_wait_s", 0.0);
    }
}
