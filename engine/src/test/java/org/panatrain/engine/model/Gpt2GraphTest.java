// The structure of the GPT-2 training graph, without running it: autograd's fan-in, zeroing and
// ordering, and the lifetimes a memory planner will read.
package org.panatrain.engine.model;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.panatrain.engine.graph.Autograd;
import org.panatrain.engine.graph.Category;
import org.panatrain.engine.graph.Graph;
import org.panatrain.engine.graph.Lifetime;
import org.panatrain.engine.graph.Op;
import org.panatrain.engine.graph.TensorSpec;
import org.panatrain.memory.DType;

class Gpt2GraphTest {
    static final Gpt2Config CFG = new Gpt2Config(2, 2, 8, 8, 11);
    static final int B = 2;
    static final int T = 4;

    final Graph g = new Graph();
    final Map<TensorSpec, TensorSpec> grads;
    final int lossOp;

    Gpt2GraphTest() {
        Map<String, TensorSpec> params = new HashMap<>();
        for (ParameterSpec p : ParameterSpec.table(CFG)) {
            params.put(p.name(), g.tensor(p.name(), Category.PARAMETER, DType.FP32, p.shape()));
        }
        TensorSpec tokens = g.tensor("tokens", Category.ACTIVATION, DType.INT32, B, T);
        TensorSpec targets = g.tensor("targets", Category.ACTIVATION, DType.INT32, B, T);
        TensorSpec logits = new ForwardEmitter(g, params, CFG, B, T).emit(tokens);
        TensorSpec losses = g.tensor("losses", Category.ACTIVATION, DType.FP32, B, T);
        lossOp = g.add(new Op.CrossEntropy(losses, logits, targets, g.scalar("dloss")));
        grads = Autograd.appendBackward(g);
    }

    private List<Op> writers(TensorSpec t) {
        return g.ops().stream().filter(op -> op.outputs().contains(t) && !(op instanceof Op.Fill)).toList();
    }

    @Test
    void tiedEmbeddingAndResidualStreamGetEveryContribution() {
        TensorSpec dwte = grads.get(g.tensor("wte.weight"));
        assertThat(dwte.category()).isEqualTo(Category.GRADIENT);
        assertThat(writers(dwte)).hasSize(2)
                .anyMatch(op -> op instanceof Op.EncoderBackward)
                .anyMatch(op -> op instanceof Op.Matmul);
        // res_1 feeds ln_2 and the residual add of the MLP
        assertThat(writers(grads.get(g.tensor("h.0.res_1")))).hasSize(2)
                .anyMatch(op -> op instanceof Op.LayerNormBackward)
                .anyMatch(op -> op instanceof Op.Accumulate);
        assertThat(grads.keySet()).noneMatch(t -> t.dtype() == DType.INT32);
        assertThat(ParameterSpec.table(CFG)).allMatch(p -> grads.containsKey(g.tensor(p.name())));
    }

    @Test
    void activationGradientsAreZeroedBeforeTheirFirstContributionAndCompleteBeforeTheirFirstRead() {
        List<Op> ops = g.ops();
        for (TensorSpec d : grads.values()) {
            int lastWrite = -1;
            int firstPureRead = Integer.MAX_VALUE;
            int firstUse = -1;
            for (int i = 0; i < ops.size(); i++) {
                Op op = ops.get(i);
                boolean writes = op.outputs().contains(d);
                if ((writes || op.inputs().contains(d)) && firstUse < 0) {
                    firstUse = i;
                }
                if (writes && i > lossOp) {
                    lastWrite = i;
                } else if (!writes && op.inputs().contains(d)) {
                    firstPureRead = Math.min(firstPureRead, i);
                }
            }
            if (d.category() == Category.ACTIVATION_GRADIENT) {
                assertThat(ops.get(firstUse)).as(d.name()).isEqualTo(new Op.Fill(d, 0f));
                assertThat(firstUse).as(d.name()).isGreaterThan(lossOp);
            }
            if (d.category() != Category.GRADIENT && !d.name().equals("logits")) {
                assertThat(lastWrite).as(d.name()).isLessThan(firstPureRead);
            }
        }
    }

    @Test
    void lifetimesSpanFromFirstToLastUse() {
        List<Lifetime> lives = g.lifetimes();
        assertThat(lives.get(g.tensor("tokens").id()).first()).isZero();
        // tokens are read again by the embedding backward, the very last op
        assertThat(lives.get(g.tensor("tokens").id()).last()).isEqualTo(g.ops().size() - 1);
        // the logits hold dlogits after the loss, until the backward of the output head reads them
        Lifetime logits = lives.get(g.tensor("logits").id());
        assertThat(logits.first()).isLessThan(lossOp);
        assertThat(logits.last()).isGreaterThan(lossOp);
        // attention scratch lives inside one op
        Lifetime scratch = lives.get(g.tensor("scratch.h.1.attn.att").id());
        assertThat(scratch.first()).isEqualTo(scratch.last());
        assertThat(lives).allMatch(l -> l.first() <= l.last());
    }
}
