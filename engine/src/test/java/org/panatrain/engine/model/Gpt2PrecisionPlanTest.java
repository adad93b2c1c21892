// Planning under a precision: the activation bytes a layer keeps for the backward under bf16
// match the analytic count below, the model state is 16 bytes a parameter plus the working copy,
// and a retyped graph keeps its ids, ops and shapes.
package org.panatrain.engine.model;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.panatrain.engine.graph.RecomputePolicy;
import org.panatrain.engine.graph.Scheduler;
import org.panatrain.engine.graph.TensorSpec;
import org.panatrain.engine.precision.Precision;
import org.panatrain.engine.precision.PrecisionPolicy;
import org.panatrain.memory.DType;

class Gpt2PrecisionPlanTest {
    static final PrecisionPolicy BF16 = PrecisionPolicy.of(Precision.BF16);

    // Activation bytes one layer keeps for the backward (live across the loss op) under bf16, after
    // Korthikanti et al. 2022's sbh(34 + 5as/h) for 16-bit tensors. Here 2-byte activations, except
    // the FP32 islands of PrecisionPolicy: layernorm mean and rstd (4 bytes, sb elements each) and
    // the attention probabilities (4 bytes, as^2b elements); no dropout; the c_proj outputs are
    // read only by the residual adds, whose backward needs no values, so they are not kept.
    // With s = T, b = B, h = C, a = NH:
    //   none:      ln_1 out 2sbh + stats 8sb; qkv 6sbh; probabilities 4as^2b; attention out 2sbh;
    //              res_1 2sbh; ln_2 out 2sbh + stats 8sb; c_fc out 8sbh; GELU out 8sbh; res_2 2sbh
    //              = sbh(32 + 16/h + 4as/h)
    //   selective: qkv 6sbh; res_1 2sbh; c_fc out 8sbh; res_2 2sbh = 18sbh
    // (FP32: sbh(64 + 16/h + 4as/h) and 36sbh, checked in Gpt2RecomputeTest.)
    @Test
    void keptActivationsPerLayerUnderBf16MatchTheAnalyticCount() {
        for (String name : List.of("gpt2-mini", "gpt2")) {
            Gpt2Config cfg = Gpt2Config.named(name);
            long b = 2;
            long s = Math.min(1024, cfg.nPositions());
            long h = cfg.nEmbd();
            long a = cfg.nHead();
            Gpt2TrainingGraph g = Gpt2TrainingGraph.build(cfg, (int) b, (int) s).stored(BF16);
            Map<RecomputePolicy, Long> analytic = Map.of(
                    RecomputePolicy.NONE, 32 * s * b * h + 16 * s * b + 4 * a * s * s * b,
                    RecomputePolicy.SELECTIVE, 18 * s * b * h);
            for (var e : analytic.entrySet()) {
                Scheduler.Schedule schedule = g.schedule(Scheduler.uniform(e.getKey(), cfg.nLayer()));
                for (int l = 0; l < cfg.nLayer(); l++) {
                    long kept = Gpt2RecomputeTest.keptActivationBytes(g, schedule, l);
                    assertThat(kept).as("%s %s layer %d", name, e.getKey(), l).isEqualTo(e.getValue());
                }
            }
        }
    }

    @Test
    void modelStateIsFp32WithAWorkingCopyUnderLowPrecisions() {
        Gpt2Config cfg = Gpt2Config.named("gpt2-tiny");
        long p = cfg.parameterCount();
        Map<Precision, Long> expected = Map.of(Precision.FP32, 16 * p, Precision.TF32, 16 * p, Precision.BF16, 18 * p,
                Precision.FP16, 18 * p, Precision.FP8, 18 * p);
        for (var e : expected.entrySet()) {
            Gpt2MemoryPlan plan = Gpt2MemoryPlan.uniform(cfg, PrecisionPolicy.of(e.getKey()), 2, 64, RecomputePolicy.NONE,
                    Long.MAX_VALUE);
            assertThat(plan.modelStateBytes()).as("%s", e.getKey()).isEqualTo(e.getValue());
            assertThat(plan.peakBytes()).isEqualTo(e.getValue() + plan.arena().memory().peakBytes());
        }
    }

    @Test
    void retypingKeepsIdsOpsAndShapes() {
        Gpt2TrainingGraph fp32 = Gpt2TrainingGraph.build(Gpt2Config.named("gpt2-tiny"), 2, 16);
        Gpt2TrainingGraph bf16 = fp32.stored(BF16);
        assertThat(bf16.graph().ops()).hasSameSizeAs(fp32.graph().ops());
        assertThat(bf16.graph().lifetimes()).isEqualTo(fp32.graph().lifetimes());
        for (TensorSpec t : fp32.graph().tensors()) {
            TensorSpec u = bf16.graph().tensors().get(t.id());
            assertThat(u.name()).isEqualTo(t.name());
            assertThat(u.shape()).isEqualTo(t.shape());
            assertThat(u.category()).isEqualTo(t.category());
        }
        assertThat(bf16.tokens().dtype()).isEqualTo(DType.INT32);
        assertThat(bf16.losses().dtype()).isEqualTo(DType.FP32);
        assertThat(bf16.logits().dtype()).isEqualTo(DType.BF16);
        assertThat(bf16.parameters().get("wte.weight").dtype()).isEqualTo(DType.FP32);   // master weights
        assertThat(bf16.graph().tensor("h.0.ln_1.rstd").dtype()).isEqualTo(DType.FP32);
        assertThat(bf16.graph().tensor("h.0.attn.att").dtype()).isEqualTo(DType.FP32);
        assertThat(bf16.graph().tensor("d.h.0.mlp.gelu").dtype()).isEqualTo(DType.BF16);
        assertThat(bf16.arenaPlan().memory().peakBytes()).isLessThan(fp32.arenaPlan().memory().peakBytes());
    }
}
