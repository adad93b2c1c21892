// Which activations a step recomputes and within what memory: --recompute none|selective|full|auto
// and --memory-budget SIZE, shared by `plan` and `train`, resolved into a Gpt2MemoryPlan. auto
// needs a budget and is the default when one is given; otherwise none is.
package org.panatrain.engine.cli;

import java.util.List;
import org.panatrain.engine.graph.RecomputePolicy;
import org.panatrain.engine.model.Gpt2Config;
import org.panatrain.engine.model.Gpt2MemoryPlan;
import org.panatrain.engine.precision.PrecisionPolicy;

/** Resolves --recompute / --memory-budget. */
final class RecomputeChoice {
    static final String AUTO = "auto";
    static final OptionSpec RECOMPUTE = OptionSpec.choice("recompute", List.of("none", "selective", "full", AUTO),
            "activations the backward recomputes instead of keeping; auto: per layer, the least recompute that fits"
                    + " --memory-budget (default: auto with a budget, else none)");
    static final OptionSpec MEMORY_BUDGET = OptionSpec.of("memory-budget", OptionSpec.Kind.TEXT, "SIZE",
            "bytes a training step may hold, model state and activations: 512MiB, 8GiB, 80GB or a number of bytes");

    private RecomputeChoice() {
    }

    /**
     * A checked --recompute / --memory-budget pair.
     *
     * @param policy none, selective, full or auto
     * @param budget bytes, Long.MAX_VALUE when no budget is given
     */
    record Request(String policy, long budget) {
        boolean hasBudget() {
            return budget != Long.MAX_VALUE;
        }

        boolean auto() {
            return policy.equals(AUTO);
        }

        /** The plan of a B x T micro-batch under this recompute and budget. */
        Gpt2MemoryPlan plan(Gpt2Config cfg, PrecisionPolicy precision, int B, int T) {
            return auto() ? Gpt2MemoryPlan.auto(cfg, precision, B, T, budget)
                    : Gpt2MemoryPlan.uniform(cfg, precision, B, T, RecomputePolicy.parse(policy), budget);
        }
    }

    /** The options as a Request; a UsageException for a malformed budget or auto without one. */
    static Request of(ParsedOptions o) {
        long budget = o.text(MEMORY_BUDGET.name()).map(text -> ByteSize.parse(MEMORY_BUDGET.name(), text))
                .orElse(Long.MAX_VALUE);
        String policy = o.text(RECOMPUTE.name(), o.has(MEMORY_BUDGET.name()) ? AUTO : "none");
        if (policy.equals(AUTO) && !o.has(MEMORY_BUDGET.name())) {
            throw new UsageException("--recompute auto needs --memory-budget SIZE");
        }
        return new Request(policy, budget);
    }
}
