// Dropout in the GPT-2 step: the sites (embedding, attention probabilities, both residual
// branches of each layer; none at p = 0, where the graph is the one without dropout), parameter
// gradients of a step with dropout against central finite differences of its loss under the same
// masks, evaluation without dropout, and the memory plan of a graph with dropout (the same peak).
package org.panatrain.engine.model;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.List;
import java.util.Random;
import org.junit.jupiter.api.Test;
import org.panatrain.engine.graph.Op;
import org.panatrain.engine.graph.RecomputePolicy;
import org.panatrain.engine.graph.Scheduler;
import org.panatrain.kernels.Kernels;
import org.panatrain.kernels.cpu.CpuKernels;
import org.panatrain.memory.Tensor;

class Gpt2DropoutTest {
    private static final Gpt2Config CFG = new Gpt2Config(2, 2, 16, 8, 29);
    private static final int B = 2;
    private static final int T = 8;
    private static final float P = 0.3f;
    private static final long SEED = 77;

    @Test
    void sitesAreTheEmbeddingTheAttentionAndBothResidualBranchesOfEachLayer() {
        Gpt2TrainingGraph with = Gpt2TrainingGraph.build(CFG, B, T, true);
        List<Op> forward = with.graph().ops().subList(0, with.lossOp());
        List<String> dropped = forward.stream().filter(op -> op instanceof Op.Dropout)
                .map(op -> ((Op.Dropout) op).inp().name()).toList();
        assertThat(dropped).containsExactly("encoded", "h.0.attn.c_proj.out", "h.0.mlp.c_proj.out",
                "h.1.attn.c_proj.out", "h.1.mlp.c_proj.out");
        assertThat(forward.stream().filter(op -> op instanceof Op.Attention a && a.dropout() != null)).hasSize(2);
        List<Integer> sites = forward.stream().<Integer>mapMulti((op, out) -> {
            if (op instanceof Op.Dropout d) {
                out.accept(d.site().id());
            } else if (op instanceof Op.Attention a) {
                out.accept(a.dropout().id());
            }
        }).toList();
        assertThat(sites).containsExactly(0, 1, 2, 3, 4, 5, 6);   // one site each, in forward order
        Gpt2TrainingGraph without = Gpt2TrainingGraph.build(CFG, B, T, false);
        assertThat(without.graph().ops()).isEqualTo(Gpt2TrainingGraph.build(CFG, B, T).graph().ops());
        assertThat(without.graph().ops()).noneMatch(op -> op instanceof Op.Dropout
                || op instanceof Op.Attention a && a.dropout() != null);
        assertThat(without.graph().seedCount()).isZero();
    }

    @Test
    void gradientsWithDropoutMatchFiniteDifferencesUnderTheSameMasks() {
        int[] inputs = new Random(1).ints(B * T, 0, CFG.vocabSize()).toArray();
        int[] targets = new Random(2).ints(B * T, 0, CFG.vocabSize()).toArray();
        try (Kernels kernels = CpuKernels.create(1); Gpt2 model = Gpt2.create(CFG, kernels, 3);
             Gpt2Step step = model.newStep(B, T, Scheduler.uniform(RecomputePolicy.NONE, CFG.nLayer()), P)) {
            kernels.fill(model.gradientBlock(), 0f);
            step.dropoutSeed(SEED);
            float loss = step.forwardBackward(inputs, targets, 1f);
            assertThat(loss).isNotEqualTo(step.loss(inputs, targets));   // the masks are in the loss
            for (String name : List.of("wte.weight", "wpe.weight", "h.0.attn.c_attn.weight", "h.0.attn.c_proj.bias",
                    "h.1.mlp.c_fc.weight", "h.1.mlp.c_proj.weight", "ln_f.weight")) {
                Parameter p = model.parameter(name);
                float[] grad = TestTensors.read(kernels, p.grad());
                int at = argMaxAbs(grad);
                double numeric = centralDifference(step, p.value(), at, inputs, targets);
                assertThat(Math.abs(grad[at] - numeric)).as("%s[%d]: analytic %s, numeric %s", name, at, grad[at], numeric)
                        .isLessThan(2e-2 * Math.abs(numeric) + 2e-4);
            }
        }
    }

    /** d(loss with dropout SEED)/d(value[at]) by a central difference, the loss read with weight 0 (no gradient). */
    private static double centralDifference(Gpt2Step step, Tensor value, int at, int[] inputs, int[] targets) {
        float x = value.getFloat(at);
        float h = 1e-3f;
        value.setFloat(at, x + h);
        step.dropoutSeed(SEED);
        double up = step.forwardBackward(inputs, targets, 0f);
        value.setFloat(at, x - h);
        step.dropoutSeed(SEED);
        double down = step.forwardBackward(inputs, targets, 0f);
        value.setFloat(at, x);
        return (up - down) / ((double) (x + h) - (x - h));
    }

    private static int argMaxAbs(float[] a) {
        int best = 0;
        for (int i = 1; i < a.length; i++) {
            if (Math.abs(a[i]) > Math.abs(a[best])) {
                best = i;
            }
        }
        return best;
    }

    @Test
    void evaluationRunsWithoutDropoutAndSeedsChooseTheMasks() {
        int[] inputs = new Random(4).ints(B * T, 0, CFG.vocabSize()).toArray();
        int[] targets = new Random(5).ints(B * T, 0, CFG.vocabSize()).toArray();
        try (Kernels kernels = CpuKernels.create(1); Gpt2 model = Gpt2.create(CFG, kernels, 6);
             Gpt2Step plain = model.newStep(B, T);
             Gpt2Step dropped = model.newStep(B, T, Scheduler.uniform(RecomputePolicy.NONE, CFG.nLayer()), P)) {
            assertThat(dropped.loss(inputs, targets)).isEqualTo(plain.loss(inputs, targets));
            assertThat(dropped.logits(inputs)).containsExactly(plain.logits(inputs));
            dropped.dropoutSeed(1);
            float first = dropped.forwardBackward(inputs, targets, 0f);
            float second = dropped.forwardBackward(inputs, targets, 0f);
            assertThat(second).as("the next micro-step draws other masks").isNotEqualTo(first);
            assertThat(dropped.loss(inputs, targets)).isEqualTo(plain.loss(inputs, targets));
            dropped.dropoutSeed(1);
            assertThat(dropped.forwardBackward(inputs, targets, 0f)).isEqualTo(first);
            assertThat(dropped.forwardBackward(inputs, targets, 0f)).isEqualTo(second);
            dropped.dropoutSeed(2);
            assertThat(dropped.forwardBackward(inputs, targets, 0f)).isNotEqualTo(first);
            assertThatThrownBy(() -> model.newStep(B, T, Scheduler.uniform(RecomputePolicy.NONE, CFG.nLayer()), 1f))
                    .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("[0, 1)");
        }
    }

    @Test
    void dropoutAddsNothingToThePlannedPeakAndRecomputeStillShrinksIt() {
        Gpt2Config cfg = Gpt2Config.named("gpt2-tiny");
        long plain = peakBytes(Gpt2TrainingGraph.build(cfg, 4, 64, false), RecomputePolicy.NONE);
        long none = peakBytes(Gpt2TrainingGraph.build(cfg, 4, 64, true), RecomputePolicy.NONE);
        long full = peakBytes(Gpt2TrainingGraph.build(cfg, 4, 64, true), RecomputePolicy.FULL);
        // No mask is stored and no dropout keeps its input or output for the backward (the adds'
        // backward needs no values): at the peak (the loss), the same bytes live as without dropout.
        assertThat(none).isEqualTo(plain);
        assertThat(full).isLessThan(none);
    }

    /** The planned arena peak of {@code g} with {@code policy} for every layer. */
    private static long peakBytes(Gpt2TrainingGraph g, RecomputePolicy policy) {
        return g.scheduled(g.schedule(Scheduler.uniform(policy, g.blocks().size()))).arenaPlan().memory().peakBytes();
    }
}
