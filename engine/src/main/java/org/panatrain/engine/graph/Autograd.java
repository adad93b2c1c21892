// Reverse-mode differentiation of a graph: appends, after the loss op, the backward ops of every
// forward op in reverse order, from one backward rule per op type. Gradient fan-in (the
// residual stream, the tied wte) is plain accumulation: every backward kernel adds into its
// gradients, and an activation gradient is zeroed by a Fill op just before its first contribution.
// Leaves out: transposed-A matmuls (GPT-2 has none) and higher-order gradients.
package org.panatrain.engine.graph;

import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.panatrain.memory.DType;

/**
 * Appends the backward of a graph whose last op is its {@link Op.CrossEntropy} loss. The fused
 * loss kernel leaves dlogits in the logits tensor, so the logits are their own gradient.
 * Gradients of parameters are new {@link Category#GRADIENT} specs named {@code "grad." + name};
 * the caller binds them to gradient memory, which the graph accumulates into and never zeroes.
 *
 * <pre>{@code
 * int loss = g.add(new Op.CrossEntropy(losses, logits, targets, scaleSlot));
 * Map<TensorSpec, TensorSpec> grads = Autograd.appendBackward(g);
 * TensorSpec dwte = grads.get(wte);
 * }</pre>
 */
public final class Autograd {
    private final Graph graph;
    private final Map<TensorSpec, TensorSpec> grads = new HashMap<>();
    private final Set<TensorSpec> started = new HashSet<>();

    private Autograd(Graph graph) {
        this.graph = graph;
    }

    /** Appends the backward ops; returns the gradient spec of every tensor that has one. */
    public static Map<TensorSpec, TensorSpec> appendBackward(Graph graph) {
        List<Op> forward = List.copyOf(graph.ops());
        if (forward.isEmpty() || !(forward.getLast() instanceof Op.CrossEntropy loss)) {
            throw new IllegalArgumentException("the last op of the graph must be its CrossEntropy loss");
        }
        Autograd ag = new Autograd(graph);
        ag.grads.put(loss.logits(), loss.logits());
        ag.started.add(loss.logits());
        for (int i = forward.size() - 2; i >= 0; i--) {
            ag.backward(forward.get(i));
        }
        return Map.copyOf(ag.grads);
    }

    private void backward(Op op) {
        switch (op) {
            case Op.Encoder e -> {
                TensorSpec dout = grads.get(e.out());
                if (dout != null) {
                    emit(new Op.EncoderBackward(target(e.wte()), target(e.wpe()), dout, e.tokens()));
                }
            }
            case Op.LayerNorm n -> {
                TensorSpec dout = grads.get(n.out());
                if (dout != null) {
                    emit(new Op.LayerNormBackward(target(n.inp()), target(n.weight()), target(n.bias()), dout,
                            n.inp(), n.weight(), n.mean(), n.rstd()));
                }
            }
            case Op.Matmul m -> matmulBackward(m);
            case Op.Attention a -> {
                TensorSpec dout = grads.get(a.out());
                if (dout != null) {
                    TensorSpec scratch = graph.tensor("scratch." + a.att().name(), Category.TEMPORARY,
                            DType.FP32, a.att().shape());
                    emit(new Op.AttentionBackward(target(a.qkv()), scratch, dout, a.qkv(), a.att(), a.numHeads(),
                            a.dropout()));
                }
            }
            case Op.Gelu g -> {
                TensorSpec dout = grads.get(g.out());
                if (dout != null) {
                    emit(new Op.GeluBackward(target(g.inp()), g.inp(), dout));
                }
            }
            case Op.Dropout d -> {
                TensorSpec dout = grads.get(d.out());
                if (dout != null) {
                    emit(new Op.DropoutBackward(target(d.inp()), dout, d.site()));
                }
            }
            case Op.Add a -> {
                TensorSpec dout = grads.get(a.out());
                if (dout != null) {
                    emit(new Op.Accumulate(target(a.a()), dout));
                    emit(new Op.Accumulate(target(a.b()), dout));
                }
            }
            default -> throw new IllegalArgumentException("no backward rule for a forward " + op);
        }
    }

    // out = a @ op(b) + bias:  da += dout @ op(b)^T;  db += a^T @ dout (or dout^T @ a when b is transposed)
    private void matmulBackward(Op.Matmul m) {
        if (m.transA() || m.accumulate()) {
            throw new IllegalArgumentException("no backward rule for a transposed-A or accumulating " + m);
        }
        TensorSpec dout = grads.get(m.out());
        if (dout == null) {
            return;
        }
        emit(new Op.Matmul(target(m.a()), dout, false, m.b(), !m.transB(), null, true));
        if (m.transB()) {
            emit(new Op.Matmul(target(m.b()), dout, true, m.a(), false, null, true));
        } else {
            emit(new Op.Matmul(target(m.b()), m.a(), true, dout, false, null, true));
        }
        if (m.bias() != null) {
            emit(new Op.BiasBackward(target(m.bias()), dout));
        }
    }

    private void emit(Op op) {
        graph.add(op);
    }

    // The gradient a backward op is about to accumulate into: created on first use, and for an
    // activation zeroed right before that first contribution.
    private TensorSpec target(TensorSpec x) {
        TensorSpec g = grads.computeIfAbsent(x, this::newGradient);
        if (g.category() == Category.ACTIVATION_GRADIENT && started.add(x)) {
            graph.add(new Op.Fill(g, 0f));
        }
        return g;
    }

    private TensorSpec newGradient(TensorSpec x) {
        return switch (x.category()) {
            case PARAMETER -> graph.tensor("grad." + x.name(), Category.GRADIENT, x.dtype(), x.shape());
            case ACTIVATION -> graph.tensor("d." + x.name(), Category.ACTIVATION_GRADIENT, x.dtype(), x.shape());
            default -> throw new IllegalArgumentException("cannot differentiate with respect to " + x);
        };
    }
}
