// The memory planner on real GPT-2 training graphs: the plan is within 5% of the lower bound for
// every preset at several batch sizes and recompute policies, no two arena tensors live at one
// op share bytes (checked here from the graph's own lifetimes), and a step run in the planned
// arena computes bit for bit what it computes when every tensor has its own bytes.
package org.panatrain.engine.model;

import static org.assertj.core.api.Assertions.assertThat;
import static org.panatrain.engine.model.Gpt2MemoryPlan.FP32;

import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.panatrain.engine.graph.ArenaLayout;
import org.panatrain.engine.graph.ArenaPlan;
import org.panatrain.engine.graph.Lifetime;
import org.panatrain.engine.graph.RecomputePolicy;
import org.panatrain.engine.graph.TensorSpec;
import org.panatrain.kernels.Kernels;
import org.panatrain.kernels.cpu.CpuKernels;
import org.panatrain.memory.MemoryPlan;

class Gpt2ArenaPlanTest {

    @Test
    void everyPresetPlansWithin5PercentOfTheLowerBoundUnderEveryPolicy() {
        List<String> report = new ArrayList<>();
        for (var preset : Gpt2Config.PRESETS.entrySet()) {
            Gpt2Config cfg = preset.getValue();
            int T = Math.min(1024, cfg.nPositions());
            for (int B : new int[] {1, 4, 8}) {
                for (RecomputePolicy policy : RecomputePolicy.values()) {
                    MemoryPlan plan = Gpt2MemoryPlan.uniform(cfg, FP32, B, T, policy, Long.MAX_VALUE).arena().memory();
                    report.add(String.format("%s B=%d T=%d %s: peak %d, lower bound %d, ratio %.4f", preset.getKey(), B,
                            T, policy, plan.peakBytes(), plan.lowerBoundBytes(), plan.ratio()));
                    assertThat(plan.ratio()).as(report.getLast()).isLessThanOrEqualTo(1.05);
                }
            }
        }
        System.out.println(String.join("\n", report));
    }

    @Test
    void tensorsLiveTogetherNeverShareBytesAndHostVisibleOnesAreNeverShared() {
        Gpt2TrainingGraph g = Gpt2TrainingGraph.build(Gpt2Config.named("gpt2-tiny"), 2, 64);
        ArenaPlan plan = g.arenaPlan();
        List<Lifetime> lives = g.graph().lifetimes();
        List<TensorSpec> specs = plan.specs();
        assertThat(specs).containsAll(g.hostVisible());
        int sharing = 0;
        for (int i = 0; i < specs.size(); i++) {
            for (int j = i + 1; j < specs.size(); j++) {
                TensorSpec a = specs.get(i);
                TensorSpec b = specs.get(j);
                long oa = plan.layout().offset(a);
                long ob = plan.layout().offset(b);
                boolean apart = oa + a.byteSize() <= ob || ob + b.byteSize() <= oa;
                Lifetime la = lives.get(a.id());
                Lifetime lb = lives.get(b.id());
                boolean together = g.hostVisible().contains(a) || g.hostVisible().contains(b)
                        || la.first() <= lb.last() && lb.first() <= la.last();
                if (together) {
                    assertThat(apart).as("%s and %s", a, b).isTrue();
                } else if (!apart) {
                    sharing++;
                }
            }
        }
        assertThat(sharing).as("pairs of tensors reusing each other's bytes").isPositive();
        assertThat(plan.layout().bytes()).isLessThan(ArenaLayout.sequential(g.graph()).bytes());
    }

    @Test
    void plannedArenaComputesExactlyWhatSeparateTensorsCompute() {
        Gpt2Config cfg = new Gpt2Config(2, 4, 64, 32, 97);
        int B = 2;
        int T = 32;
        try (Kernels kernels = CpuKernels.create(); Gpt2 model = Gpt2.create(cfg, kernels, 42)) {
            Gpt2TrainingGraph g = Gpt2TrainingGraph.build(cfg, B, T);
            float[] sequential = StepRuns.lossesAndGradients(kernels, model, g, ArenaLayout.sequential(g.graph()));
            float[] planned = StepRuns.lossesAndGradients(kernels, model, g, g.arenaPlan().layout());
            assertThat(planned).isEqualTo(sequential);   // Arrays.equals: bit for bit
        }
    }
}
