// The memory plan of a GPT-2 training step before anything is allocated: the model state
// (FP32 weights, gradients and AdamW's two moments: 16 bytes a parameter) plus the planned
// arena of the scheduled graph. `auto` picks, for a byte budget, the recompute with the least
// FLOPs that fits, from candidates ordered by recompute FLOPs (k layers selective, then all
// selective and k layers full), so more budget never means more recompute. Leaves out: lower
// precisions (the graph is FP32 throughout) and the backend's fixed workspace.
package org.panatrain.engine.model;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.panatrain.engine.graph.ArenaPlan;
import org.panatrain.engine.graph.RecomputePolicy;
import org.panatrain.engine.graph.Scheduler;

/**
 * Peak bytes, lower bound and recompute cost of one micro-batch of B x T tokens.
 *
 * <pre>{@code
 * Gpt2MemoryPlan p = Gpt2MemoryPlan.auto(Gpt2Config.named("gpt2"), 8, 1024, 24L << 30);
 * if (!p.fits()) System.err.println(p.advice());
 * }</pre>
 *
 * @param policies         the recompute policy of each layer
 * @param arena            the planned arena of the scheduled graph
 * @param schedule         the scheduled graph and its FLOPs
 * @param modelStateBytes  weights, gradients and AdamW moments, FP32
 * @param budgetBytes      the budget it was planned for (Long.MAX_VALUE for none)
 */
public record Gpt2MemoryPlan(Gpt2Config config, int B, int T, List<RecomputePolicy> policies, ArenaPlan arena,
                             Scheduler.Schedule schedule, long modelStateBytes, long budgetBytes) {

    /** Bytes a parameter needs outside the arena: value, gradient, AdamW m and v, all FP32. */
    public static final long STATE_BYTES_PER_PARAMETER = 16;

    public Gpt2MemoryPlan {
        policies = List.copyOf(policies);
    }

    /** The plan with the given per-layer policies. */
    public static Gpt2MemoryPlan of(Gpt2Config cfg, int B, int T, List<RecomputePolicy> policies, long budgetBytes) {
        Gpt2TrainingGraph g = Gpt2TrainingGraph.build(cfg, B, T);
        Scheduler.Schedule schedule = g.schedule(policies);
        return new Gpt2MemoryPlan(cfg, B, T, policies, g.scheduled(schedule).arenaPlan(), schedule,
                STATE_BYTES_PER_PARAMETER * cfg.parameterCount(), budgetBytes);
    }

    /** The plan with one policy for every layer. */
    public static Gpt2MemoryPlan uniform(Gpt2Config cfg, int B, int T, RecomputePolicy policy, long budgetBytes) {
        return of(cfg, B, T, Scheduler.uniform(policy, cfg.nLayer()), budgetBytes);
    }

    /**
     * The candidate with the least recompute FLOPs whose peak fits {@code budgetBytes}; when none
     * fits, the one with the most recompute (all layers full), which says by how much it misses.
     */
    public static Gpt2MemoryPlan auto(Gpt2Config cfg, int B, int T, long budgetBytes) {
        List<List<RecomputePolicy>> candidates = candidates(cfg.nLayer());
        Gpt2MemoryPlan plan = null;
        for (List<RecomputePolicy> c : candidates) {
            plan = of(cfg, B, T, c, budgetBytes);
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
    public static int maxMicroBatch(Gpt2Config cfg, int T, RecomputePolicy policy, long budgetBytes, int limit) {
        if (!uniform(cfg, 1, T, policy, budgetBytes).fits()) {
            return 0;
        }
        int fits = 1;
        int fails = 2;
        while (fails <= limit && uniform(cfg, fails, T, policy, budgetBytes).fits()) {
            fits = fails;
            fails = (int) Math.min((long) fails * 2, (long) limit + 1);
        }
        while (fails - fits > 1) {
            int mid = (fits + fails) >>> 1;
            if (uniform(cfg, mid, T, policy, budgetBytes).fits()) {
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
        Map<String, Long> m = new LinkedHashMap<>();
        long p = config.parameterCount();
        m.put("PARAMETER", 4 * p);
        m.put("GRADIENT", 4 * p);
        m.put("OPTIMIZER_STATE", 8 * p);
        m.putAll(arena.memory().bytesByCategoryAtPeak());
        return m;
    }

    /** When it does not fit: by how much, and what would (a smaller micro-batch, more recompute). */
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
            int b = maxMicroBatch(config, T, p, budgetBytes, B);
            if (b > 0) {
                s.append("; fits with --recompute ").append(p).append(" at micro-batch ").append(b);
            }
        }
        return s.toString();
    }
}
