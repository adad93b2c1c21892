// The dtype each tensor of a training graph is stored in under a precision, so that the memory
// planner can size a mixed-precision step: the one place that maps graph tensors to the roles of
// PrecisionPolicy, which decides the dtypes. By category, except PrecisionPolicy's FP32 islands:
// layernorm statistics, attention probabilities (and the attention backward's scratch, their
// gradient) and the per-token losses. Integer tensors (tokens, targets) keep their dtype.
// Leaves out: the FP8 operand copies a matmul casts to under fp8 (1 byte an element, transient,
// not graph tensors; fp8 stores activations in BF16), and running such a graph (the executor
// runs FP32).
package org.panatrain.engine.graph;

import java.util.HashMap;
import java.util.Map;
import org.panatrain.engine.precision.PrecisionPolicy;
import org.panatrain.engine.precision.TensorRole;
import org.panatrain.memory.DType;

/**
 * A graph with its tensors retyped for planning.
 *
 * <pre>{@code
 * Graph bf16 = GraphDTypes.retype(graph, PrecisionPolicy.of(Precision.BF16));   // same ids and ops
 * long peak = ArenaPlan.of(bf16, hostVisible).memory().peakBytes();
 * }</pre>
 */
public final class GraphDTypes {
    private GraphDTypes() {
    }

    /**
     * {@code graph} with every tensor in the dtype {@code policy} stores it in; specs keep their
     * ids, names, shapes and categories, ops and scalar slots are the same.
     */
    public static Graph retype(Graph graph, PrecisionPolicy policy) {
        Map<TensorSpec, TensorRole> islands = islands(graph);
        Graph out = new Graph();
        for (TensorSpec s : graph.tensors()) {
            TensorRole role = islands.getOrDefault(s, roleOf(s.category()));
            DType dtype = s.dtype().isFloat() && role != null ? policy.storage(role) : s.dtype();
            out.tensor(s.name(), s.category(), dtype, s.shape());
        }
        for (int i = 0; i < graph.scalarCount(); i++) {
            out.scalar("scalar." + i);   // ops refer to slots; the graph does not expose the names
        }
        for (int i = 0; i < graph.seedCount(); i++) {
            out.seed("seed." + i);
        }
        for (Op op : graph.ops()) {
            out.add(OpTensors.map(op, t -> out.tensors().get(t.id())));
        }
        return out;
    }

    private static TensorRole roleOf(Category category) {
        return switch (category) {
            case PARAMETER -> TensorRole.MASTER_WEIGHT;
            case GRADIENT -> TensorRole.PARAMETER_GRADIENT;
            case OPTIMIZER_STATE -> TensorRole.OPTIMIZER_STATE;
            case ACTIVATION -> TensorRole.ACTIVATION;
            case ACTIVATION_GRADIENT -> TensorRole.ACTIVATION_GRADIENT;
            case TEMPORARY -> null;   // op scratch keeps its dtype unless an island below names it
        };
    }

    // The tensors whose role is finer than their category: PrecisionPolicy's FP32 islands.
    private static Map<TensorSpec, TensorRole> islands(Graph graph) {
        Map<TensorSpec, TensorRole> roles = new HashMap<>();
        for (Op op : graph.ops()) {
            switch (op) {
                case Op.LayerNorm n -> {
                    roles.put(n.mean(), TensorRole.LAYERNORM_STATISTICS);
                    roles.put(n.rstd(), TensorRole.LAYERNORM_STATISTICS);
                }
                case Op.Attention a -> roles.put(a.att(), TensorRole.SOFTMAX);
                case Op.AttentionBackward a -> roles.put(a.scratch(), TensorRole.SOFTMAX);   // d(probabilities)
                case Op.CrossEntropy c -> roles.put(c.losses(), TensorRole.LOSS);
                default -> {
                }
            }
        }
        return roles;
    }
}
