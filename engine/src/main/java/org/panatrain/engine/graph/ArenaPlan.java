// The memory plan of a graph's arena: the lifetimes of its arena tensors (activations, their
// gradients, temporaries) handed to the MemoryPlanner, and the planner's offsets as the layout
// the Executor allocates. Tensors the host touches between runs (inputs uploaded before op 0,
// results read after the last op) are held live over the whole order, so that no other tensor
// reuses their bytes. Leaves out: parameters, gradients and optimizer state (owned by the model).
package org.panatrain.engine.graph;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Set;
import org.panatrain.memory.BufferLifetime;
import org.panatrain.memory.MemoryPlan;
import org.panatrain.memory.MemoryPlanner;

/**
 * A planned {@link ArenaLayout} and the {@link MemoryPlan} it came from (peak, lower bound,
 * ratio, bytes per category at the peak; the plan's buffers are the graph's arena specs in id
 * order, see {@link #specs()}).
 *
 * <pre>{@code
 * ArenaPlan plan = ArenaPlan.of(graph, Set.of(tokens, targets, losses));
 * try (Executor ex = new Executor(graph, kernels, external, plan.layout())) { ... }
 * System.out.printf("%d bytes, %.3f x the lower bound%n", plan.memory().peakBytes(), plan.memory().ratio());
 * }</pre>
 */
public record ArenaPlan(ArenaLayout layout, MemoryPlan memory, List<TensorSpec> specs) {

    public ArenaPlan {
        specs = List.copyOf(specs);
    }

    /** Plans the arena tensors of {@code graph}; those in {@code hostVisible} stay live throughout. */
    public static ArenaPlan of(Graph graph, Set<TensorSpec> hostVisible) {
        List<TensorSpec> all = graph.tensors();
        List<Lifetime> lives = graph.lifetimes();
        int lastOp = Math.max(0, graph.ops().size() - 1);
        List<TensorSpec> specs = new ArrayList<>();
        List<BufferLifetime> buffers = new ArrayList<>();
        for (TensorSpec s : all) {
            boolean pinned = hostVisible.contains(s);
            if (!s.category().inArena() || !(pinned || lives.get(s.id()).used())) {
                continue;
            }
            Lifetime l = lives.get(s.id());
            specs.add(s);
            buffers.add(new BufferLifetime(s.name(), s.byteSize(), pinned ? 0 : l.first(), pinned ? lastOp : l.last(),
                    s.category().name()));
        }
        for (TensorSpec s : hostVisible) {
            if (!s.category().inArena()) {
                throw new IllegalArgumentException(s + " is not an arena tensor, so the arena plan cannot hold it");
            }
        }
        MemoryPlan memory = MemoryPlanner.plan(buffers);
        long[] offsets = new long[all.size()];
        Arrays.fill(offsets, -1);
        for (int i = 0; i < specs.size(); i++) {
            offsets[specs.get(i).id()] = memory.offset(i);
        }
        return new ArenaPlan(new ArenaLayout(offsets, memory.peakBytes()), memory, specs);
    }
}
