// The memory plan of a GPT-2 training step before anything is allocated: the model state
// (FP32 master weights, gradients and AdamW's two moments: 16 bytes a parameter, plus the
// low-precision working copy of the weights under bf16/fp16/fp8) plus the planned arena of the
// scheduled graph, its tensors in the dtypes the precision stores them in (GraphDTypes). `auto`
// picks, for a byte budget, the recompute with the least FLOPs that fits, from candidates
// ordered by recompute FLOPs (k layers selective, then all selective and k layers full), so more
// budget never means more recompute. Leaves out: the backend's fixed workspace and fp8's
// transient operand casts.
package org.panatrain.engine.model;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.panatrain.engine.graph.ArenaPlan;
import org.panatrain.engine.graph.RecomputePolicy;
import org.panatrain.engine.graph.Scheduler;
import org.panatrain.engine.precision.Precision;
import org.panatrain.engine.precision.PrecisionPolicy;
import org.panatrain.engine.precision.TensorRole;

/**
 * Peak bytes, lower bound and recompute cost of one micro-batch of B x T tokens.
 *
 * <pre>{@code
 * PrecisionPolicy bf16 = PrecisionPolicy.of(Precision.BF16);
 * Gpt2MemoryPlan p = Gpt2MemoryPlan.auto(Gpt2Config.named("gpt2"), bf16, 8, 1024, 24L << 30);
 * if (!p.fits()) System.err.println(p.advice());
 * }</pre>
 *
 * @param precision        the dtypes of the model state and of the arena's tensors
 * @param policies         the recompute policy of each layer
 * @param arena            the planned arena of the scheduled graph
 * @param schedule         the scheduled graph and its FLOPs
 * @param modelStateBytes  master and working weights, gradients and AdamW moments
 * @param budgetBytes      the budget it was planned for (Long.MAX_VALUE for none)
 */
public record Gpt2MemoryPlan(Gpt2Config config, PrecisionPolicy precision, int B, int T, List<RecomputePolicy> policies,
                             ArenaPlan arena, Scheduler.Schedule schedule, long modelStateBytes, long budgetBytes) {

    /** FP32 everywhere. */
    public static final PrecisionPolicy FP32 = PrecisionPolicy.of(Precision.FP32);

    public Gpt2MemoryPlan {
        policies = List.copyOf(policies);
    }

    /** The plan with the given per-layer policies. */
    public static Gpt2MemoryPlan of(Gpt2Config cfg, PrecisionPolicy precision, int B, int T,
                                    List<RecomputePolicy> policies, long budgetBytes) {
        Gpt2TrainingGraph g = Gpt2TrainingGraph.build(cfg, B, T).stored(precision);
        Scheduler.Schedule schedule = g.schedule(policies);
        long state = modelStateBytesByCategory(cfg, precision).values().stream().mapToLong(Long::longValue).sum();
        return new Gpt2MemoryPlan(cfg, precision, B, T, policies, g.scheduled(schedule).arenaPlan(), schedule, state,
                budgetBytes);
    }

    /** The plan with one policy for every layer. */
    public static Gpt2MemoryPlan uniform(Gpt2Config cfg, PrecisionPolicy precision, int B, int T, RecomputePolicy policy,
                                         long budgetBytes) {
        return of(cfg, precision, B, T, Scheduler.uniform(policy, cfg.nLayer()), budgetBytes);
    }

    /**
     * Bytes of the model state outside the arena, by category: PARAMETER (master weights),
     * GRADIENT, OPTIMIZER_STATE (AdamW's m and v) and, where the precision keeps a low-precision
     * copy of the weights for the matmuls, WORKING_WEIGHT.
     */
    public static Map<String, Long> modelStateBytesByCategory(Gpt2Config cfg, PrecisionPolicy precision) {
        long p = cfg.parameterCount();
        Map<String, Long> m = new LinkedHashMap<>();
        m.put("PARAMETER", p * precision.storage(TensorRole.MASTER_WEIGHT).byteSize());
        m.put("GRADIENT", p * precision.storage(TensorRole.PARAMETER_GRADIENT).byteSize());
        m.put("OPTIMIZER_STATE", 2 * p * precision.storage(TensorRole.OPTIMIZER_STATE).byteSize());
        if (precision.hasWorkingWeights()) {
            m.put("WORKING_WEIGHT", p * precision.storage(TensorRole.WORKING_WEIGHT).byteSize());
        }
        return m;
    }

    /**
     * The candidate with the least recompute FLOPs whose peak fits {@code budgetBytes}; when none
     * fits, the one with the most recompute (all layers full), which says by how much it misses.
     */
    public static Gpt2MemoryPlan auto(Gpt2Config cfg, PrecisionPolicy precision, int B, int T, long budgetBytes) {
        List<List<RecomputePolicy>> candidates = candidates(cfg.nLayer());
        Gpt2MemoryPlan plan = null;
        for (List<RecomputePolicy> c : candidates) {
            plan = of(cfg, precision, B, T, c, budgetBytes);
            if (plan.fits()) {
                return plan;
            }
        }
        return plan;
    }

    // Ordered by recompute FLOPs: the first k layers selective (k = 0..L), then all selective with
    // the first k layers full (k = 1..L). Early layers first: their activations live longest.
    static List<List<RecomputePolicy>> candidates(int L) {
        List<List<RecomputePolicy>> all = new ArrayList<>();
        for (int k = 0; k <= L; k++) {
            all.add(firstK(L, k, RecomputePolicy.SELECTIVE, RecomputePolicy.NONE));
        }
        for (int k = 1; k <= L; k++) {
            all.add(firstK(L, k, RecomputePolicy.FULL, RecomputePolicy.SELECTIVE));
        }
        return all;
    }

    private static List<RecomputePolicy> firstK(int L, int k, RecomputePolicy first, RecomputePolicy rest) {
        List<RecomputePolicy> p = new ArrayList<>(L);
        for (int l = 0; l < L; l++) {
            p.add(l < k ? first : rest);
        }
        return p;
    }

    /**
     * The largest micro-batch (at most {@code limit}) whose plan under {@code policy} for every
     * layer fits {@code budgetBytes}, or 0 when not even B = 1 does. Peaks grow with B, so a
     * doubling then a bisection finds it in O(log B) plans.
     */
    public static int maxMicroBatch(Gpt2Config cfg, PrecisionPolicy precision, int T, RecomputePolicy policy,
                                    long budgetBytes, int limit) {
        if (!uniform(cfg, precision, 1, T, policy, budgetBytes).fits()) {
            return 0;
        }
        int fits = 1;
        int fails = 2;
        while (fails <= limit && uniform(cfg, precision, fails, T, policy, budgetBytes).fits()) {
            fits = fails;
            fails = (int) Math.min((long) fails * 2, (long) limit + 1);
        }
        while (fails - fits > 1) {
            int mid = (fits + fails) >>> 1;
            if (uniform(cfg, precision, mid, T, policy, budgetBytes).fits()) {
                fits = mid;
            } else {
                fails = mid;
            }
        }
        return Math.min(fits, limit);
    }

    /** Model state plus the arena's peak. */
    public long peakBytes() {
        return modelStateBytes + arena.memory().peakBytes();
    }

    /** Model state plus the arena's lower bound. */
    public long lowerBoundBytes() {
        return modelStateBytes + arena.memory().lowerBoundBytes();
    }

    /** peak / lower bound of the whole step. */
    public double ratio() {
        return (double) peakBytes() / lowerBoundBytes();
    }

    /** True when the peak is within the budget. */
    public boolean fits() {
        return peakBytes() <= budgetBytes;
    }

    /** Bytes over the budget, 0 when it fits. */
    public long shortfallBytes() {
        return Math.max(0, peakBytes() - budgetBytes);
    }

    /** Recompute FLOPs over model FLOPs (the HFU / MFU ratio minus one). */
    public double recomputeFlopsFraction() {
        return schedule.recomputeFraction();
    }

    /** Bytes by category at the arena's peak point, model state first. */
    public Map<String, Long> bytesByCategory() {
        Map<String, Long> m = modelStateBytesByCategory(config, precision);
        m.putAll(arena.memory().bytesByCategoryAtPeak());
        return m;
    }

    /**
     * When it does not fit: by how much, and what would (a smaller micro-batch under each policy;
     * bf16 at this micro-batch when the activations are wider than 2 bytes).
     */
    public String advice() {
        if (fits()) {
            return "fits: " + peakBytes() + " of " + budgetBytes + " bytes";
        }
        StringBuilder s = new StringBuilder("does not fit: needs " + peakBytes() + " bytes, " + shortfallBytes()
                + " more than the budget of " + budgetBytes);
        if (modelStateBytes > budgetBytes) {
            return s.append("; the model state alone (").append(modelStateBytes)
                    .append(" bytes) exceeds it: use a smaller model").toString();
        }
        for (RecomputePolicy p : RecomputePolicy.values()) {
            int b = maxMicroBatch(config, precision, T, p, budgetBytes, B);
            if (b > 0) {
                s.append("; fits with --recompute ").append(p).append(" at micro-batch ").append(b);
            }
        }
        PrecisionPolicy bf16 = PrecisionPolicy.of(Precision.BF16);
        if (precision.storage(TensorRole.ACTIVATION).byteSize() > bf16.storage(TensorRole.ACTIVATION).byteSize()) {
            for (RecomputePolicy p : RecomputePolicy.values()) {
                if (uniform(config, bf16, B, T, p, budgetBytes).fits()) {
                    return s.append("; fits with --precision bf16 --recompute ").append(p).append(" at micro-batch ")
                            .append(B).toString();
                }
            }
        }
        return s.toString();
    }
}
