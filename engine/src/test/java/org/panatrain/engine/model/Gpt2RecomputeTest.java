// Recompute schedules of the GPT-2 training graph: under every policy (and a mix) a step gives
// the same losses and gradients, bit for bit, as the graph without recompute; more recompute
// means a smaller planned arena and more recompute FLOPs, counted from the shapes here.
package org.panatrain.engine.model;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.List;
import org.junit.jupiter.api.Test;
import org.panatrain.engine.graph.Op;
import org.panatrain.engine.graph.RecomputePolicy;
import org.panatrain.engine.graph.Scheduler;
import org.panatrain.kernels.Kernels;
import org.panatrain.kernels.cpu.CpuKernels;

class Gpt2RecomputeTest {
    static final Gpt2Config CFG = new Gpt2Config(3, 4, 64, 32, 97);
    static final int B = 2;
    static final int T = 32;

    @Test
    void everyPolicyComputesExactlyTheGradientsOfNone() {
        Gpt2TrainingGraph g = Gpt2TrainingGraph.build(CFG, B, T);
        List<List<RecomputePolicy>> policies = List.of(
                Scheduler.uniform(RecomputePolicy.SELECTIVE, 3),
                Scheduler.uniform(RecomputePolicy.FULL, 3),
                List.of(RecomputePolicy.FULL, RecomputePolicy.NONE, RecomputePolicy.SELECTIVE));
        try (Kernels kernels = CpuKernels.create(); Gpt2 model = Gpt2.create(CFG, kernels, 5)) {
            float[] expected = StepRuns.lossesAndGradients(kernels, model, g, g.arenaPlan().layout());
            for (List<RecomputePolicy> p : policies) {
                Gpt2TrainingGraph s = g.scheduled(g.schedule(p));
                float[] actual = StepRuns.lossesAndGradients(kernels, model, s, s.arenaPlan().layout());
                assertThat(actual).as("policies %s", p).isEqualTo(expected);   // Arrays.equals: bit for bit
            }
        }
    }

    @Test
    void moreRecomputeMeansLessMemoryAndMoreFlops() {
        Gpt2TrainingGraph g = Gpt2TrainingGraph.build(CFG, B, T);
        Scheduler.Schedule none = g.schedule(Scheduler.uniform(RecomputePolicy.NONE, 3));
        Scheduler.Schedule selective = g.schedule(Scheduler.uniform(RecomputePolicy.SELECTIVE, 3));
        Scheduler.Schedule full = g.schedule(Scheduler.uniform(RecomputePolicy.FULL, 3));
        assertThat(none.graph().ops()).isEqualTo(g.graph().ops());
        assertThat(none.recomputeFlops()).isZero();
        long peakNone = g.scheduled(none).arenaPlan().memory().peakBytes();
        long peakSelective = g.scheduled(selective).arenaPlan().memory().peakBytes();
        long peakFull = g.scheduled(full).arenaPlan().memory().peakBytes();
        assertThat(peakSelective).isLessThan(peakNone);
        assertThat(peakFull).isLessThan(peakSelective);

        // every matmul runs once forward and twice backward (both operand gradients): 6 * tokens * weights,
        // the output head included; attention products 4*B*T*T*C forward, twice that backward
        long C = CFG.nEmbd();
        long V = CFG.vocabSize();
        long L = CFG.nLayer();
        long tokens = (long) B * T;
        long layerWeights = 3 * C * C + C * C + 4 * C * C + 4 * C * C;
        long attention = 4L * B * T * T * C;
        long model = 6 * tokens * (L * layerWeights + V * C) + 3 * L * attention;
        assertThat(none.modelFlops()).isEqualTo(model);
        assertThat(selective.recomputeFlops()).isEqualTo(L * attention);
        assertThat(full.recomputeFlops()).isEqualTo(L * (2 * tokens * layerWeights + attention));
        assertThat(full.recomputeFraction()).isGreaterThan(selective.recomputeFraction());
    }

    @Test
    void recomputedOpsRunOnceMoreInTheBackward() {
        Gpt2TrainingGraph g = Gpt2TrainingGraph.build(CFG, B, T);
        Scheduler.Schedule selective = g.schedule(Scheduler.uniform(RecomputePolicy.SELECTIVE, 3));
        long attentions = selective.graph().ops().stream().filter(op -> op instanceof Op.Attention).count();
        long gelus = selective.graph().ops().stream().filter(op -> op instanceof Op.Gelu).count();
        assertThat(attentions).isEqualTo(2 * CFG.nLayer());
        assertThat(gelus).isEqualTo(2 * CFG.nLayer());
        // every rerun comes after the loss and before the attention backward of its layer
        List<Op> ops = selective.graph().ops();
        for (int i = g.lossOp() + 1; i < ops.size(); i++) {
            if (ops.get(i) instanceof Op.Attention a) {
                int reader = -1;
                for (int j = i + 1; j < ops.size() && reader < 0; j++) {
                    if (ops.get(j) instanceof Op.AttentionBackward ab && ab.att().equals(a.att())) {
                        reader = j;
                    }
                }
                assertThat(reader).as("rerun of %s is read by an attention backward", a.att()).isPositive();
            }
        }
    }
}
