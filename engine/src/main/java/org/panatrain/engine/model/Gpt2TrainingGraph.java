// The training graph of a GPT-2 config for micro-batches of B x T tokens, built without any
// memory: parameter specs from the parameter table, the forward, the fused loss, the backward.
// Gpt2Step runs it; planning (the arena plan, the plan command) reads it without allocating.
// Also says which ops of each layer a recompute policy reruns.
package org.panatrain.engine.model;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.function.UnaryOperator;
import org.panatrain.engine.graph.ArenaPlan;
import org.panatrain.engine.graph.Autograd;
import org.panatrain.engine.graph.Category;
import org.panatrain.engine.graph.Graph;
import org.panatrain.engine.graph.GraphDTypes;
import org.panatrain.engine.graph.Op;
import org.panatrain.engine.graph.RecomputeBlock;
import org.panatrain.engine.graph.RecomputePolicy;
import org.panatrain.engine.graph.Scheduler;
import org.panatrain.engine.graph.TensorSpec;
import org.panatrain.engine.precision.PrecisionPolicy;
import org.panatrain.memory.DType;

/**
 * The graph of one training micro-batch and its named specs.
 *
 * <pre>{@code
 * Gpt2TrainingGraph g = Gpt2TrainingGraph.build(Gpt2Config.named("gpt2-xl"), 8, 1024);
 * ArenaPlan plan = g.arenaPlan();   // no memory allocated
 * }</pre>
 *
 * @param parameters by Hugging Face name, the {@link Category#PARAMETER} specs
 * @param gradients  by parameter or activation spec, its gradient spec
 * @param tokens     (B,T) INT32, uploaded before a run
 * @param targets    (B,T) INT32, uploaded before a run
 * @param logits     (B,T,V), read after a forward-only run; dlogits after the loss op
 * @param losses     (B,T), read after a run
 * @param lossOp     index of the CrossEntropy op: the forward is [0, lossOp)
 * @param scaleSlot  runtime scalar: d(loss)/d(each token's loss)
 * @param dropoutSlot runtime scalar: the dropout probability (0 for evaluation); -1 when the graph has no dropout
 * @param seedSlot   runtime seed: the dropout seed of the micro-step; -1 when the graph has no dropout
 */
public record Gpt2TrainingGraph(Graph graph, Map<String, TensorSpec> parameters, Map<TensorSpec, TensorSpec> gradients,
                                TensorSpec tokens, TensorSpec targets, TensorSpec logits, TensorSpec losses,
                                int lossOp, int scaleSlot, int dropoutSlot, int seedSlot) {

    /** Builds the graph without dropout; B > 0 and 0 < T <= n_positions. */
    public static Gpt2TrainingGraph build(Gpt2Config cfg, int B, int T) {
        return build(cfg, B, T, false);
    }

    /**
     * Builds the graph, with dropout sites (embedding, attention probabilities, residual
     * branches) when {@code dropout}; their probability and seed are set at run time.
     */
    public static Gpt2TrainingGraph build(Gpt2Config cfg, int B, int T, boolean dropout) {
        if (B <= 0 || T <= 0 || T > cfg.nPositions()) {
            throw new IllegalArgumentException("a step needs B > 0 and 0 < T <= n_positions " + cfg.nPositions()
                    + ", got B " + B + " T " + T);
        }
        Graph graph = new Graph();
        Map<String, TensorSpec> params = new LinkedHashMap<>();
        for (ParameterSpec p : ParameterSpec.table(cfg)) {
            params.put(p.name(), graph.tensor(p.name(), Category.PARAMETER, DType.FP32, p.shape()));
        }
        TensorSpec tokens = graph.tensor("tokens", Category.ACTIVATION, DType.INT32, B, T);
        TensorSpec targets = graph.tensor("targets", Category.ACTIVATION, DType.INT32, B, T);
        int scaleSlot = graph.scalar("dloss");
        int dropoutSlot = dropout ? graph.scalar("dropout") : -1;
        int seedSlot = dropout ? graph.seed("dropout") : -1;
        TensorSpec logits = new ForwardEmitter(graph, params, cfg, B, T, dropoutSlot, seedSlot).emit(tokens);
        TensorSpec losses = graph.tensor("losses", Category.ACTIVATION, DType.FP32, B, T);
        int lossOp = graph.add(new Op.CrossEntropy(losses, logits, targets, scaleSlot));
        Map<TensorSpec, TensorSpec> grads = Autograd.appendBackward(graph);
        return new Gpt2TrainingGraph(graph, Map.copyOf(params), grads, tokens, targets, logits, losses, lossOp, scaleSlot,
                dropoutSlot, seedSlot);
    }

    /**
     * The transformer layers as recompute blocks: SELECTIVE reruns ln_1, the attention, ln_2 and
     * the GELU; FULL reruns everything of the layer (its dropouts too) but the residual add that
     * makes its output. A rerun dropout or attention draws the forward's mask: same site, same seed.
     */
    public List<RecomputeBlock> blocks() {
        List<List<Integer>> selective = new ArrayList<>();
        List<List<Integer>> full = new ArrayList<>();
        for (int i = 0; i < lossOp; i++) {
            Op op = graph.ops().get(i);
            String name = op.outputs().getFirst().name();
            if (!name.startsWith("h.")) {
                continue;
            }
            int layer = Integer.parseInt(name.substring(2, name.indexOf('.', 2)));
            while (full.size() <= layer) {
                selective.add(new ArrayList<>());
                full.add(new ArrayList<>());
            }
            if (!name.equals("h." + layer + ".res_2")) {
                full.get(layer).add(i);
            }
            if (op instanceof Op.LayerNorm || op instanceof Op.Attention || op instanceof Op.Gelu) {
                selective.get(layer).add(i);
            }
        }
        List<RecomputeBlock> blocks = new ArrayList<>();
        for (int l = 0; l < full.size(); l++) {
            blocks.add(new RecomputeBlock("h." + l, toArray(selective.get(l)), toArray(full.get(l))));
        }
        return blocks;
    }

    private static int[] toArray(List<Integer> values) {
        return values.stream().mapToInt(Integer::intValue).toArray();
    }

    /** The schedule of this graph with {@code policies.get(l)} for layer l. */
    public Scheduler.Schedule schedule(List<RecomputePolicy> policies) {
        return Scheduler.schedule(graph, lossOp, blocks(), policies);
    }

    /** This graph's specs over {@code schedule}'s graph (which keeps their ids). */
    public Gpt2TrainingGraph scheduled(Scheduler.Schedule schedule) {
        return new Gpt2TrainingGraph(schedule.graph(), parameters, gradients, tokens, targets, logits, losses, lossOp,
                scaleSlot, dropoutSlot, seedSlot);
    }

    /**
     * This graph with every tensor in the dtype {@code precision} stores it in (see
     * {@link GraphDTypes}), for planning a mixed-precision step (fp32 and tf32: the same dtypes).
     */
    public Gpt2TrainingGraph stored(PrecisionPolicy precision) {
        Graph typed = GraphDTypes.retype(graph, precision);
        UnaryOperator<TensorSpec> f = s -> typed.tensors().get(s.id());
        Map<String, TensorSpec> params = new LinkedHashMap<>();
        parameters.forEach((name, s) -> params.put(name, f.apply(s)));
        Map<TensorSpec, TensorSpec> grads = new HashMap<>();
        gradients.forEach((s, g) -> grads.put(f.apply(s), f.apply(g)));
        return new Gpt2TrainingGraph(typed, Map.copyOf(params), Map.copyOf(grads), f.apply(tokens), f.apply(targets),
                f.apply(logits), f.apply(losses), lossOp, scaleSlot, dropoutSlot, seedSlot);
    }

    /** The tensors the host writes before a run or reads after one. */
    public Set<TensorSpec> hostVisible() {
        return Set.of(tokens, targets, logits, losses);
    }

    /** The planned arena of this graph, host-visible tensors held live throughout. */
    public ArenaPlan arenaPlan() {
        return ArenaPlan.of(graph, hostVisible());
    }
}
