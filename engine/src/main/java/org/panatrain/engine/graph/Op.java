// The op set of a graph: one record per Kernels method that a graph uses, naming its tensors and
// attributes. An op knows its inputs, its outputs and how to run itself on a backend; the
// backward rules live in Autograd, the placement in the Executor.
package org.panatrain.engine.graph;

import java.util.Arrays;
import java.util.List;
import java.util.Objects;
import org.panatrain.kernels.Kernels;
import org.panatrain.memory.Tensor;

/**
 * One kernel call of a graph. {@link #run} looks its tensors up by spec id in {@code bound}
 * (so a step allocates nothing) and reads runtime scalars (the loss scale, the dropout probability)
 * from {@code scalars} and runtime seeds (dropout's) from {@code seeds}.
 * Backward ops accumulate into their gradient outputs, as the {@link Kernels} contract says.
 *
 * <pre>{@code
 * graph.add(new Op.Gelu(h, pre));       // h = gelu(pre)
 * }</pre>
 */
public sealed interface Op {

    /** The tensors this op reads. */
    List<TensorSpec> inputs();

    /** The tensors this op writes (an in-place tensor is both input and output). */
    List<TensorSpec> outputs();

    /** Calls the kernel on the tensors bound to this op's specs, with this run's scalars and seeds. */
    void run(Kernels k, Tensor[] bound, float[] scalars, long[] seeds);

    /** Every tensor the op touches, inputs first. */
    default List<TensorSpec> tensors() {
        return java.util.stream.Stream.concat(inputs().stream(), outputs().stream()).toList();
    }

    /** dst = value everywhere. */
    record Fill(TensorSpec dst, float value) implements Op {
        public List<TensorSpec> inputs() { return List.of(); }
        public List<TensorSpec> outputs() { return List.of(dst); }
        public void run(Kernels k, Tensor[] t, float[] s, long[] seeds) { k.fill(t[dst.id()], value); }
    }

    /** out (B,T,C) = wte[tokens] + wpe[t]. */
    record Encoder(TensorSpec out, TensorSpec tokens, TensorSpec wte, TensorSpec wpe) implements Op {
        public List<TensorSpec> inputs() { return List.of(tokens, wte, wpe); }
        public List<TensorSpec> outputs() { return List.of(out); }
        public void run(Kernels k, Tensor[] t, float[] s, long[] seeds) {
            k.encoderForward(t[out.id()], t[tokens.id()], t[wte.id()], t[wpe.id()]);
        }
    }

    /** dwte, dwpe += the scatter of dout by token and position. */
    record EncoderBackward(TensorSpec dwte, TensorSpec dwpe, TensorSpec dout, TensorSpec tokens) implements Op {
        public List<TensorSpec> inputs() { return List.of(dout, tokens, dwte, dwpe); }
        public List<TensorSpec> outputs() { return List.of(dwte, dwpe); }
        public void run(Kernels k, Tensor[] t, float[] s, long[] seeds) {
            k.encoderBackward(t[dwte.id()], t[dwpe.id()], t[dout.id()], t[tokens.id()]);
        }
    }

    /** out (N,C) = layernorm(inp) * weight + bias, saving mean and rstd (N). */
    record LayerNorm(TensorSpec out, TensorSpec mean, TensorSpec rstd, TensorSpec inp, TensorSpec weight,
                     TensorSpec bias) implements Op {
        public List<TensorSpec> inputs() { return List.of(inp, weight, bias); }
        public List<TensorSpec> outputs() { return List.of(out, mean, rstd); }
        public void run(Kernels k, Tensor[] t, float[] s, long[] seeds) {
            k.layerNormForward(t[out.id()], t[mean.id()], t[rstd.id()], t[inp.id()], t[weight.id()], t[bias.id()]);
        }
    }

    /** dinp, dweight, dbias += the layernorm backward of dout. */
    record LayerNormBackward(TensorSpec dinp, TensorSpec dweight, TensorSpec dbias, TensorSpec dout,
                             TensorSpec inp, TensorSpec weight, TensorSpec mean, TensorSpec rstd) implements Op {
        public List<TensorSpec> inputs() { return List.of(dout, inp, weight, mean, rstd, dinp, dweight, dbias); }
        public List<TensorSpec> outputs() { return List.of(dinp, dweight, dbias); }
        public void run(Kernels k, Tensor[] t, float[] s, long[] seeds) {
            k.layerNormBackward(t[dinp.id()], t[dweight.id()], t[dbias.id()], t[dout.id()],
                    t[inp.id()], t[weight.id()], t[mean.id()], t[rstd.id()]);
        }
    }

    /** out (M,N) (+)= op(a) @ op(b) [+ bias]; {@code bias} may be null. */
    record Matmul(TensorSpec out, TensorSpec a, boolean transA, TensorSpec b, boolean transB, TensorSpec bias,
                  boolean accumulate) implements Op {
        public List<TensorSpec> inputs() {
            List<TensorSpec> in = bias == null ? List.of(a, b) : List.of(a, b, bias);
            return accumulate ? concat(in, out) : in;
        }
        public List<TensorSpec> outputs() { return List.of(out); }
        public void run(Kernels k, Tensor[] t, float[] s, long[] seeds) {
            k.matmul(t[out.id()], t[a.id()], transA, t[b.id()], transB, bias == null ? null : t[bias.id()], accumulate);
        }
    }

    /** dbias (OC) += column sums of dout (N,OC). */
    record BiasBackward(TensorSpec dbias, TensorSpec dout) implements Op {
        public List<TensorSpec> inputs() { return List.of(dout, dbias); }
        public List<TensorSpec> outputs() { return List.of(dbias); }
        public void run(Kernels k, Tensor[] t, float[] s, long[] seeds) { k.biasBackward(t[dbias.id()], t[dout.id()]); }
    }

    /**
     * Causal self-attention: out (B,T,C) from qkv (B,T,3C), saving att (B,NH,T,T); with a
     * {@code dropout} site (else null), dropout on the probabilities (att keeps them before it).
     */
    record Attention(TensorSpec out, TensorSpec att, TensorSpec qkv, int numHeads, DropoutSite dropout) implements Op {
        public Attention(TensorSpec out, TensorSpec att, TensorSpec qkv, int numHeads) {
            this(out, att, qkv, numHeads, null);
        }
        public List<TensorSpec> inputs() { return List.of(qkv); }
        public List<TensorSpec> outputs() { return List.of(out, att); }
        public void run(Kernels k, Tensor[] t, float[] s, long[] seeds) {
            if (dropout == null) {
                k.attentionForward(t[out.id()], t[att.id()], t[qkv.id()], numHeads);
            } else {
                k.attentionForward(t[out.id()], t[att.id()], t[qkv.id()], numHeads, dropout.probability(s),
                        dropout.seed(seeds));
            }
        }
    }

    /** dqkv += the attention backward of dout; scratch (B,NH,T,T) is overwritten. */
    record AttentionBackward(TensorSpec dqkv, TensorSpec scratch, TensorSpec dout, TensorSpec qkv, TensorSpec att,
                             int numHeads, DropoutSite dropout) implements Op {
        public AttentionBackward(TensorSpec dqkv, TensorSpec scratch, TensorSpec dout, TensorSpec qkv, TensorSpec att,
                                 int numHeads) {
            this(dqkv, scratch, dout, qkv, att, numHeads, null);
        }
        public List<TensorSpec> inputs() { return List.of(dout, qkv, att, dqkv); }
        public List<TensorSpec> outputs() { return List.of(dqkv, scratch); }
        public void run(Kernels k, Tensor[] t, float[] s, long[] seeds) {
            if (dropout == null) {
                k.attentionBackward(t[dqkv.id()], t[scratch.id()], t[dout.id()], t[qkv.id()], t[att.id()], numHeads);
            } else {
                k.attentionBackward(t[dqkv.id()], t[scratch.id()], t[dout.id()], t[qkv.id()], t[att.id()], numHeads,
                        dropout.probability(s), dropout.seed(seeds));
            }
        }
    }

    /** out = gelu(inp), tanh form. */
    record Gelu(TensorSpec out, TensorSpec inp) implements Op {
        public List<TensorSpec> inputs() { return List.of(inp); }
        public List<TensorSpec> outputs() { return List.of(out); }
        public void run(Kernels k, Tensor[] t, float[] s, long[] seeds) { k.geluForward(t[out.id()], t[inp.id()]); }
    }

    /** dinp += gelu'(inp) * dout. */
    record GeluBackward(TensorSpec dinp, TensorSpec inp, TensorSpec dout) implements Op {
        public List<TensorSpec> inputs() { return List.of(inp, dout, dinp); }
        public List<TensorSpec> outputs() { return List.of(dinp); }
        public void run(Kernels k, Tensor[] t, float[] s, long[] seeds) { k.geluBackward(t[dinp.id()], t[inp.id()], t[dout.id()]); }
    }

    /** out = a + b (a residual connection). */
    record Add(TensorSpec out, TensorSpec a, TensorSpec b) implements Op {
        public List<TensorSpec> inputs() { return List.of(a, b); }
        public List<TensorSpec> outputs() { return List.of(out); }
        public void run(Kernels k, Tensor[] t, float[] s, long[] seeds) { k.add(t[out.id()], t[a.id()], t[b.id()]); }
    }

    /** out = dropout(inp): elements dropped by the site's mask, the rest scaled by 1/(1-p). */
    record Dropout(TensorSpec out, TensorSpec inp, DropoutSite site) implements Op {
        public List<TensorSpec> inputs() { return List.of(inp); }
        public List<TensorSpec> outputs() { return List.of(out); }
        public void run(Kernels k, Tensor[] t, float[] s, long[] seeds) {
            k.dropout(t[out.id()], t[inp.id()], site.probability(s), site.seed(seeds), false);
        }
    }

    /** dinp += dropout(dout), with the forward's mask (the same site and seed). */
    record DropoutBackward(TensorSpec dinp, TensorSpec dout, DropoutSite site) implements Op {
        public List<TensorSpec> inputs() { return List.of(dout, dinp); }
        public List<TensorSpec> outputs() { return List.of(dinp); }
        public void run(Kernels k, Tensor[] t, float[] s, long[] seeds) {
            k.dropout(t[dinp.id()], t[dout.id()], site.probability(s), site.seed(seeds), true);
        }
    }

    /** dst += src (gradient fan-in). */
    record Accumulate(TensorSpec dst, TensorSpec src) implements Op {
        public List<TensorSpec> inputs() { return List.of(src, dst); }
        public List<TensorSpec> outputs() { return List.of(dst); }
        public void run(Kernels k, Tensor[] t, float[] s, long[] seeds) { k.accumulate(t[dst.id()], t[src.id()]); }
    }

    /**
     * Fused softmax + cross-entropy, the root of the backward: losses (N) are written and logits
     * (N,V) are overwritten <i>in place</i> with dlogits scaled by {@code scalars[scaleSlot]}.
     */
    record CrossEntropy(TensorSpec losses, TensorSpec logits, TensorSpec targets, int scaleSlot) implements Op {
        public List<TensorSpec> inputs() { return List.of(logits, targets); }
        public List<TensorSpec> outputs() { return List.of(losses, logits); }
        public void run(Kernels k, Tensor[] t, float[] s, long[] seeds) {
            k.crossEntropy(t[losses.id()], t[logits.id()], t[targets.id()], s[scaleSlot]);
        }
    }

    private static List<TensorSpec> concat(List<TensorSpec> a, TensorSpec b) {
        TensorSpec[] all = Arrays.copyOf(a.toArray(TensorSpec[]::new), a.size() + 1);
        all[a.size()] = Objects.requireNonNull(b);
        return List.of(all);
    }
}
