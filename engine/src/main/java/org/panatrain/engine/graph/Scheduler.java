// The recompute scheduler: turns a training graph and a policy per block into the graph that is
// actually run. The forward is unchanged. Each op a policy reruns writes, on the rerun, fresh
// copies ("rc." + name) of the tensors it makes; the originals die after their last forward
// read, and the rerun of a block (a recompute segment, in forward order) is placed right before
// the first backward op that reads one of its copies, with every backward op pointed at the
// copies. Deterministic kernels rerun on the same inputs give the same bits, so gradients are
// identical under every policy. Leaves out: choosing the policies (Gpt2MemoryPlan does that).
package org.panatrain.engine.graph;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * Inserts recompute segments.
 *
 * <pre>{@code
 * Schedule s = Scheduler.schedule(graph, lossOp, blocks, List.of(RecomputePolicy.FULL, RecomputePolicy.NONE));
 * ArenaPlan plan = ArenaPlan.of(s.graph(), hostVisible);   // same spec ids as graph
 * double hfuOverMfu = 1 + (double) s.recomputeFlops() / s.modelFlops();
 * }</pre>
 */
public final class Scheduler {
    private Scheduler() {
    }

    /** A scheduled graph (its specs keep the ids of the input's) and its FLOP accounting. */
    public record Schedule(Graph graph, long modelFlops, long recomputeFlops) {
        /** Recompute FLOPs over model FLOPs. */
        public double recomputeFraction() {
            return modelFlops == 0 ? 0 : (double) recomputeFlops / modelFlops;
        }
    }

    /**
     * Schedules {@code graph}, whose ops [0, lossOp] are the forward and the loss and the rest
     * its backward, with {@code policies.get(i)} for {@code blocks.get(i)}.
     */
    public static Schedule schedule(Graph graph, int lossOp, List<RecomputeBlock> blocks, List<RecomputePolicy> policies) {
        if (blocks.size() != policies.size()) {
            throw new IllegalArgumentException(blocks.size() + " blocks but " + policies.size() + " policies");
        }
        Graph out = new Graph();
        for (TensorSpec s : graph.tensors()) {
            out.tensor(s.name(), s.category(), s.dtype(), s.shape());   // same ids, so the same specs
        }
        for (int i = 0; i < graph.scalarCount(); i++) {
            out.scalar("scalar." + i);   // ops refer to slots; the graph does not expose the names
        }
        for (int i = 0; i < graph.seedCount(); i++) {
            out.seed("seed." + i);
        }
        List<Op> ops = graph.ops();
        Map<TensorSpec, TensorSpec> copies = new HashMap<>();
        Map<TensorSpec, Integer> blockOf = new HashMap<>();   // original tensor -> block that remakes it
        for (int b = 0; b < blocks.size(); b++) {
            for (int i : blocks.get(b).ops(policies.get(b))) {
                if (i >= lossOp) {
                    throw new IllegalArgumentException("block " + blocks.get(b).name() + " reruns op " + i
                            + ", which is not a forward op");
                }
                for (TensorSpec t : ops.get(i).outputs()) {
                    copies.put(t, out.tensor("rc." + t.name(), t.category(), t.dtype(), t.shape()));
                    blockOf.put(t, b);
                }
            }
        }
        long modelFlops = 0;
        for (Op op : ops) {
            modelFlops += OpFlops.of(op);
        }
        for (int i = 0; i <= lossOp; i++) {
            out.add(ops.get(i));
        }
        boolean[] emitted = new boolean[blocks.size()];
        long recomputeFlops = 0;
        for (int i = lossOp + 1; i < ops.size(); i++) {
            Op op = ops.get(i);
            for (TensorSpec t : op.tensors()) {
                Integer b = blockOf.get(t);
                if (b != null && !emitted[b]) {
                    emitted[b] = true;
                    for (int f : blocks.get(b).ops(policies.get(b))) {
                        out.add(OpTensors.map(ops.get(f), x -> copies.getOrDefault(x, x)));
                        recomputeFlops += OpFlops.of(ops.get(f));
                    }
                }
            }
            out.add(OpTensors.map(op, x -> copies.getOrDefault(x, x)));
        }
        return new Schedule(out, modelFlops, recomputeFlops);
    }

    /** The same policy for every block. */
    public static List<RecomputePolicy> uniform(RecomputePolicy policy, int blocks) {
        List<RecomputePolicy> all = new ArrayList<>(blocks);
        for (int i = 0; i < blocks; i++) {
            all.add(policy);
        }
        return all;
    }
}
