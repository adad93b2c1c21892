// Recompute schedules of the GPT-2 training graph: under every policy (and a mix) a step gives
// the same losses and gradients, bit for bit, as the graph without recompute (with dropout too:
// a rerun draws the forward's masks); more recompute
// means a smaller planned arena and more recompute FLOPs, counted from the shapes here; the
// activations a layer keeps match the analytic count.
package org.panatrain.engine.model;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.withinPercentage;

import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.Random;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;
import org.panatrain.engine.graph.Category;
import org.panatrain.engine.graph.Lifetime;
import org.panatrain.engine.graph.Op;
import org.panatrain.engine.graph.RecomputePolicy;
import org.panatrain.engine.graph.Scheduler;
import org.panatrain.engine.graph.TensorSpec;
import org.panatrain.kernels.Kernels;
import org.panatrain.kernels.cpu.CpuKernels;

class Gpt2RecomputeTest {
    static final Gpt2Config CFG = new Gpt2Config(3, 4, 64, 32, 97);
    static final int B = 2;
    static final int T = 32;

    // A round counts when every policy matches the reference of that round; a schedule that reran
    // ops on other inputs, or with other masks, misses every round. The rounds were for the JIT:
    // lanewise(EXP)'s last bit changed once C2 compiled it; the kernels' exp is now Exp, the same
    // bits at every tier (JitTierTest), so the rounds are likely unneeded now (not checked).
    @ParameterizedTest
    @ValueSource(booleans = {false, true})
    void everyPolicyComputesExactlyTheGradientsOfNone(boolean dropout) {
        Gpt2TrainingGraph g = Gpt2TrainingGraph.build(CFG, B, T, dropout);
        List<List<RecomputePolicy>> policies = List.of(
                Scheduler.uniform(RecomputePolicy.SELECTIVE, 3),
                Scheduler.uniform(RecomputePolicy.FULL, 3),
                List.of(RecomputePolicy.FULL, RecomputePolicy.NONE, RecomputePolicy.SELECTIVE));
        try (Kernels kernels = CpuKernels.create(); Gpt2 model = Gpt2.create(CFG, kernels, 5)) {
            List<List<RecomputePolicy>> differing = policies;
            for (int round = 0; round < 4 && !differing.isEmpty(); round++) {
                float[] expected = warmReference(kernels, model, g);
                differing = policies.stream().filter(p -> {
                    Gpt2TrainingGraph s = g.scheduled(g.schedule(p));
                    return !Arrays.equals(StepRuns.lossesAndGradients(kernels, model, s, s.arenaPlan().layout()), expected);
                }).toList();
            }
            assertThat(differing).as("policies whose losses and gradients differ from none's in every round").isEmpty();
        }
    }

    // The reference run, after warm-up runs until two in a row agree (at most 5): written for
    // reduceLanes(ADD) and lanewise(EXP), which rounded differently once the JIT compiled them;
    // the kernels now use Vec.sumLanes and Exp, the same at every tier (warm-up likely unneeded).
    private static float[] warmReference(Kernels kernels, Gpt2 model, Gpt2TrainingGraph g) {
        float[] previous = StepRuns.lossesAndGradients(kernels, model, g, g.arenaPlan().layout());
        for (int i = 0; i < 4; i++) {
            float[] next = StepRuns.lossesAndGradients(kernels, model, g, g.arenaPlan().layout());
            if (Arrays.equals(next, previous)) {
                break;
            }
            previous = next;
        }
        return previous;
    }

    @Test
    void aStepWithFullRecomputeTrainsLikeOneWithout() {
        int[] inputs = new Random(9).ints(B * T, 0, CFG.vocabSize()).toArray();
        int[] targets = new Random(10).ints(B * T, 0, CFG.vocabSize()).toArray();
        try (Kernels kernels = CpuKernels.create(); Gpt2 model = Gpt2.create(CFG, kernels, 6)) {
            // runs: none (warm-up, see warmReference), none, full
            float[][] results = new float[3][];
            List<List<RecomputePolicy>> policies = List.of(Scheduler.uniform(RecomputePolicy.NONE, 3),
                    Scheduler.uniform(RecomputePolicy.NONE, 3), Scheduler.uniform(RecomputePolicy.FULL, 3));
            for (int i = 0; i < 3; i++) {
                kernels.fill(model.gradientBlock(), 0f);
                try (Gpt2Step step = model.newStep(B, T, policies.get(i))) {
                    float loss = step.forwardBackward(inputs, targets, 1f);
                    float[] grads = TestTensors.read(kernels, model.gradientBlock());
                    results[i] = Arrays.copyOf(grads, grads.length + 1);
                    results[i][grads.length] = loss;
                    assertThat(step.schedule().recomputeFlops() > 0).isEqualTo(i == 2);
                }
            }
            assertThat(results[2]).isEqualTo(results[1]);   // Arrays.equals: bit for bit
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

    // Activation bytes one layer keeps for the backward (live across the loss op), after
    // Korthikanti et al. 2022, whose sbh(34 + 5as/h) counts 16-bit tensors and dropout masks.
    // Here every tensor is FP32 (4 bytes), there is no dropout, and a tensor dies after its last
    // reader, so the c_proj outputs (read only by the residual adds, whose backward needs no
    // values) are not kept. With s = T, b = B, h = C, a = NH, elements kept per layer:
    //   none:      ln_1 out sbh + mean, rstd 2sb; qkv 3sbh; scores as^2b; attention out sbh;
    //              res_1 sbh; ln_2 out sbh + 2sb; c_fc out 4sbh; GELU out 4sbh; res_2 sbh
    //              = 16sbh + 4sb + as^2b            -> bytes sbh(64 + 16/h + 4as/h)
    //   selective: qkv 3sbh; res_1 sbh; c_fc out 4sbh; res_2 sbh = 9sbh   -> bytes 36sbh
    @Test
    void keptActivationsPerLayerMatchTheAnalyticCount() {
        for (String name : List.of("gpt2-mini", "gpt2")) {
            Gpt2Config cfg = Gpt2Config.named(name);
            int b = 2;
            long s = Math.min(1024, cfg.nPositions());
            double sbh = (double) s * b * cfg.nEmbd();
            double as = (double) cfg.nHead() * s;
            double h = cfg.nEmbd();
            Gpt2TrainingGraph g = Gpt2TrainingGraph.build(cfg, b, (int) s);
            Map<RecomputePolicy, Double> analytic = Map.of(
                    RecomputePolicy.NONE, sbh * (64 + 16 / h + 4 * as / h),
                    RecomputePolicy.SELECTIVE, sbh * 36);
            for (var e : analytic.entrySet()) {
                Scheduler.Schedule schedule = g.schedule(Scheduler.uniform(e.getKey(), cfg.nLayer()));
                for (int l = 0; l < cfg.nLayer(); l++) {
                    long kept = keptActivationBytes(g, schedule, l);
                    assertThat((double) kept).as("%s %s layer %d", name, e.getKey(), l)
                            .isCloseTo(e.getValue(), withinPercentage(5));
                }
            }
        }
    }

    /** Bytes of layer {@code layer}'s activations that are live across the loss op: what its backward keeps. */
    static long keptActivationBytes(Gpt2TrainingGraph g, Scheduler.Schedule schedule, int layer) {
        List<Lifetime> lives = schedule.graph().lifetimes();
        long kept = 0;
        for (TensorSpec t : schedule.graph().tensors()) {
            Lifetime life = lives.get(t.id());
            if (t.name().startsWith("h." + layer + ".") && t.category() == Category.ACTIVATION
                    && life.used() && life.first() <= g.lossOp() && g.lossOp() <= life.last()) {
                kept += t.byteSize();
            }
        }
        return kept;
    }
}
