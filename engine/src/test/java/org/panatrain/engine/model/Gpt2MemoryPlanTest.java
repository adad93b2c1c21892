// Budget-driven recompute: a sweep of budgets never gives more recompute FLOPs for more bytes,
// a plan said to fit does fit, the largest micro-batch is the edge between fitting and not, and
// a plan that cannot fit says by how much and what would.
package org.panatrain.engine.model;

import static org.assertj.core.api.Assertions.assertThat;
import static org.panatrain.engine.model.Gpt2MemoryPlan.FP32;

import java.util.List;
import org.junit.jupiter.api.Test;
import org.panatrain.engine.graph.RecomputePolicy;

class Gpt2MemoryPlanTest {
    static final Gpt2Config CFG = Gpt2Config.named("gpt2-mini");   // L=6, C=384, T<=256
    static final int B = 2;
    static final int T = 256;

    @Test
    void moreBudgetNeverMeansMoreRecompute() {
        long none = Gpt2MemoryPlan.uniform(CFG, FP32, B, T, RecomputePolicy.NONE, Long.MAX_VALUE).peakBytes();
        long full = Gpt2MemoryPlan.uniform(CFG, FP32, B, T, RecomputePolicy.FULL, Long.MAX_VALUE).peakBytes();
        assertThat(full).isLessThan(none);
        long previousFlops = Long.MAX_VALUE;
        int steps = 24;
        for (int i = 0; i <= steps; i++) {
            long budget = full - (none - full) / 10 + (none - full) * 12 / 10 * i / steps;
            Gpt2MemoryPlan plan = Gpt2MemoryPlan.auto(CFG, FP32, B, T, budget);
            long flops = plan.schedule().recomputeFlops();
            assertThat(flops).as("budget %d", budget).isLessThanOrEqualTo(previousFlops);
            previousFlops = flops;
            if (budget >= none) {
                assertThat(plan.policies()).containsOnly(RecomputePolicy.NONE);
                assertThat(flops).isZero();
            }
            if (budget < full) {
                assertThat(plan.fits()).isFalse();
                assertThat(plan.shortfallBytes()).isEqualTo(plan.peakBytes() - budget).isPositive();
            } else {
                assertThat(plan.fits()).as("budget %d", budget).isTrue();
                assertThat(plan.peakBytes()).isLessThanOrEqualTo(budget);
            }
        }
    }

    @Test
    void candidatesAreOrderedByRecomputeFlops() {
        List<List<RecomputePolicy>> candidates = Gpt2MemoryPlan.candidates(CFG.nLayer());
        assertThat(candidates).hasSize(2 * CFG.nLayer() + 1);
        long previous = -1;
        for (List<RecomputePolicy> c : candidates) {
            long flops = Gpt2MemoryPlan.of(CFG, FP32, 1, 64, c, Long.MAX_VALUE).schedule().recomputeFlops();
            assertThat(flops).as("%s", c).isGreaterThan(previous);
            previous = flops;
        }
    }

    @Test
    void largestMicroBatchIsTheEdgeOfFitting() {
        long budget = Gpt2MemoryPlan.uniform(CFG, FP32, 5, T, RecomputePolicy.SELECTIVE, Long.MAX_VALUE).peakBytes() + 1000;
        int b = Gpt2MemoryPlan.maxMicroBatch(CFG, FP32, T, RecomputePolicy.SELECTIVE, budget, 64);
        assertThat(b).isGreaterThanOrEqualTo(5);
        assertThat(Gpt2MemoryPlan.uniform(CFG, FP32, b, T, RecomputePolicy.SELECTIVE, budget).fits()).isTrue();
        assertThat(Gpt2MemoryPlan.uniform(CFG, FP32, b + 1, T, RecomputePolicy.SELECTIVE, budget).fits()).isFalse();
        assertThat(Gpt2MemoryPlan.maxMicroBatch(CFG, FP32, T, RecomputePolicy.SELECTIVE, budget, 3)).isEqualTo(3);
        assertThat(Gpt2MemoryPlan.maxMicroBatch(CFG, FP32, T, RecomputePolicy.SELECTIVE, 1000, 64)).isZero();
    }

    @Test
    void aPlanThatCannotFitSaysByHowMuchAndWhatWould() {
        Gpt2MemoryPlan one = Gpt2MemoryPlan.uniform(CFG, FP32, 1, T, RecomputePolicy.FULL, Long.MAX_VALUE);
        long budget = one.peakBytes() + 4096;
        Gpt2MemoryPlan plan = Gpt2MemoryPlan.auto(CFG, FP32, 8, T, budget);
        assertThat(plan.fits()).isFalse();
        assertThat(plan.policies()).containsOnly(RecomputePolicy.FULL);
        assertThat(plan.advice()).contains(plan.shortfallBytes() + " more than the budget of " + budget)
                .contains("--recompute full at micro-batch 1");
        assertThat(Gpt2MemoryPlan.auto(CFG, FP32, 1, T, 1000).advice()).contains("model state alone");
        assertThat(plan.bytesByCategory().get("PARAMETER")).isEqualTo(4 * CFG.parameterCount());
        assertThat(plan.bytesByCategory().values().stream().mapToLong(Long::longValue).sum())
                .isEqualTo(plan.lowerBoundBytes());
    }
}
