// `panatrain plan`: the memory plan and recompute schedule of one training micro-batch, from the
// graph alone (no GPU, nothing allocated): bytes per category, peak, lower bound, their ratio,
// the recompute FLOPs, each layer's policy and, under a budget, the largest micro-batch that
// fits. A plan that does not fit is an answer, not an error: exit 0, fits=false, and advice on
// what would fit. Leaves out the backend's fixed workspace (see Gpt2MemoryPlan).
package org.panatrain.engine.cli;

import java.io.PrintStream;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import org.panatrain.engine.graph.RecomputePolicy;
import org.panatrain.engine.io.Json;
import org.panatrain.engine.model.Gpt2Config;
import org.panatrain.engine.model.Gpt2MemoryPlan;
import org.panatrain.engine.precision.Precision;
import org.panatrain.engine.precision.PrecisionPolicy;

/** The plan command. */
final class PlanCommand implements Command {
    /** The largest micro-batch the search for max_micro_batch tries. */
    static final int MAX_MICRO_BATCH = 16384;
    private static final int DEFAULT_BATCH = 8;

    static final OptionSpec BATCH = OptionSpec.of("batch", OptionSpec.Kind.POSITIVE_INT, "B",
            "micro-batch size, sequences (default " + DEFAULT_BATCH + ")");
    static final OptionSpec SEQ = OptionSpec.of("seq", OptionSpec.Kind.POSITIVE_INT, "T",
            "sequence length, tokens (default min(1024, n_positions))");
    static final OptionSpec PRECISION = OptionSpec.choice("precision",
            Arrays.stream(Precision.values()).map(Precision::cliName).toList(),
            "dtypes of the step: master weights, gradients and AdamW state always FP32 (default fp32)");

    @Override
    public String name() {
        return "plan";
    }

    @Override
    public String summary() {
        return "memory plan and recompute schedule of a training step under a budget, without a GPU";
    }

    @Override
    public List<OptionSpec> options() {
        return List.of(ModelChoice.MODEL, ModelChoice.CONFIG, BATCH, SEQ, PRECISION, RecomputeChoice.RECOMPUTE,
                RecomputeChoice.MEMORY_BUDGET, TrainCommand.JSON);
    }

    @Override
    public void run(ParsedOptions o, PrintStream out, PrintStream err) {
        Gpt2Config cfg = ModelChoice.resolve(o);
        int B = o.intValue(BATCH.name(), DEFAULT_BATCH);
        int T = o.intValue(SEQ.name(), Math.min(1024, cfg.nPositions()));
        if (T > cfg.nPositions()) {
            throw new UsageException("--seq " + T + " is longer than the model's n_positions " + cfg.nPositions());
        }
        PrecisionPolicy precision = PrecisionPolicy.of(Precision.parse(o.text(PRECISION.name(), "fp32")));
        RecomputeChoice.Request recompute = RecomputeChoice.of(o);
        Gpt2MemoryPlan plan = recompute.plan(cfg, precision, B, T);
        Integer maxB = recompute.hasBudget() ? maxMicroBatch(cfg, precision, T, recompute) : null;
        boolean asJson = o.flag(TrainCommand.JSON.name());
        report(asJson ? err : out, plan, recompute.policy(), maxB);
        if (asJson) {
            out.println(Json.write(json(plan, recompute.policy(), maxB)));
        }
    }

    // The largest micro-batch (at most MAX_MICRO_BATCH) that fits; under auto, the largest at which
    // one of none, selective, full fits every layer: auto fits there too, its candidates include all three.
    private static int maxMicroBatch(Gpt2Config cfg, PrecisionPolicy precision, int T, RecomputeChoice.Request recompute) {
        List<RecomputePolicy> choices = recompute.auto()
                ? List.of(RecomputePolicy.FULL, RecomputePolicy.SELECTIVE, RecomputePolicy.NONE)
                : List.of(RecomputePolicy.parse(recompute.policy()));
        long budget = recompute.budget();
        int best = 0;
        for (RecomputePolicy p : choices) {
            // peaks grow with B: p does better than best only if it fits at best + 1
            if (best < MAX_MICRO_BATCH && Gpt2MemoryPlan.uniform(cfg, precision, best + 1, T, p, budget).fits()) {
                best = Gpt2MemoryPlan.maxMicroBatch(cfg, precision, T, p, budget, MAX_MICRO_BATCH);
            }
        }
        return best;
    }

    private static Map<String, Object> json(Gpt2MemoryPlan plan, String recompute, Integer maxB) {
        Map<String, Object> m = new LinkedHashMap<>();
        boolean budget = plan.budgetBytes() != Long.MAX_VALUE;
        m.put("fits", plan.fits());
        m.put("peak_bytes", plan.peakBytes());
        m.put("lower_bound_bytes", plan.lowerBoundBytes());
        m.put("ratio", plan.ratio());
        m.put("recompute_flops_fraction", plan.recomputeFlopsFraction());
        m.put("max_micro_batch", maxB);
        m.put("budget_bytes", budget ? plan.budgetBytes() : null);
        m.put("shortfall_bytes", plan.shortfallBytes());
        m.put("advice", plan.fits() ? null : plan.advice());
        m.put("parameters", plan.config().parameterCount());
        m.put("batch", plan.B());
        m.put("seq", plan.T());
        m.put("precision", plan.precision().precision().cliName());
        m.put("recompute", recompute);
        m.put("per_layer", plan.policies().stream().map(RecomputePolicy::toString).toList());
        m.put("bytes_by_category", plan.bytesByCategory());
        m.put("model_state_bytes", plan.modelStateBytes());
        m.put("arena_peak_bytes", plan.arena().memory().peakBytes());
        m.put("arena_lower_bound_bytes", plan.arena().memory().lowerBoundBytes());
        m.put("arena_ratio", plan.arena().memory().ratio());
        m.put("model_flops", plan.schedule().modelFlops());
        m.put("recompute_flops", plan.schedule().recomputeFlops());
        return m;
    }

    private static void report(PrintStream s, Gpt2MemoryPlan plan, String recompute, Integer maxB) {
        Gpt2Config c = plan.config();
        s.printf("plan: L=%d NH=%d C=%d V=%d, %,d parameters; micro-batch %d x %d tokens; precision %s; recompute %s%n",
                c.nLayer(), c.nHead(), c.nEmbd(), c.vocabSize(), c.parameterCount(), plan.B(), plan.T(),
                plan.precision().precision().cliName(), recompute);
        s.println("bytes by category (activations: what is live at the arena's busiest op):");
        for (Map.Entry<String, Long> e : plan.bytesByCategory().entrySet()) {
            s.printf("  %-20s %,18d  %10s%n", e.getKey(), e.getValue(), ByteSize.format(e.getValue()));
        }
        s.printf("peak         %,18d bytes (%s): model state %s + planned arena %s%n", plan.peakBytes(),
                ByteSize.format(plan.peakBytes()), ByteSize.format(plan.modelStateBytes()),
                ByteSize.format(plan.arena().memory().peakBytes()));
        s.printf("lower bound  %,18d bytes (%s)%n", plan.lowerBoundBytes(), ByteSize.format(plan.lowerBoundBytes()));
        s.printf(Locale.ROOT, "ratio        %.4f (arena alone %.4f)%n", plan.ratio(), plan.arena().memory().ratio());
        s.printf(Locale.ROOT, "recompute    %.2f%% of the model FLOPs (%.3e model + %.3e recompute FLOPs a micro-batch)%n",
                100 * plan.recomputeFlopsFraction(), (double) plan.schedule().modelFlops(),
                (double) plan.schedule().recomputeFlops());
        s.println("per layer    " + perLayer(plan.policies()));
        if (plan.budgetBytes() == Long.MAX_VALUE) {
            s.println("budget       none given (--memory-budget SIZE): fits, largest micro-batch not searched");
            return;
        }
        s.printf("budget       %,d bytes (%s): %s%n", plan.budgetBytes(), ByteSize.format(plan.budgetBytes()),
                plan.fits() ? "fits" : plan.advice());
        String under = recompute.equals(RecomputeChoice.AUTO) ? "best of none, selective, full" : "--recompute " + recompute;
        s.println("largest micro-batch that fits: " + (maxB == 0 ? "none, not even 1" : maxB) + " (" + under + ")");
    }

    /** Runs of equal policies: "h.0-3 selective, h.4-11 none". */
    static String perLayer(List<RecomputePolicy> policies) {
        List<String> runs = new ArrayList<>();
        int start = 0;
        for (int l = 1; l <= policies.size(); l++) {
            if (l == policies.size() || policies.get(l) != policies.get(start)) {
                runs.add("h." + (l - 1 == start ? start : start + "-" + (l - 1)) + " " + policies.get(start));
                start = l;
            }
        }
        return String.join(", ", runs);
    }
}
