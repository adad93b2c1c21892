// The same op over other tensors: the recompute scheduler reruns forward ops into fresh copies
// of the activations they make, and points the backward ops at those copies. One case per op
// type, so a new op type fails to compile here until it says how its tensors map.
package org.panatrain.engine.graph;

import java.util.function.UnaryOperator;

/**
 * Rewrites the tensors of an op.
 *
 * <pre>{@code
 * Op again = OpTensors.map(op, t -> recomputed.getOrDefault(t, t));
 * }</pre>
 */
public final class OpTensors {
    private OpTensors() {
    }

    /** {@code op} with every tensor {@code t} replaced by {@code f.apply(t)}; attributes kept. */
    public static Op map(Op op, UnaryOperator<TensorSpec> f) {
        return switch (op) {
            case Op.Fill o -> new Op.Fill(f.apply(o.dst()), o.value());
            case Op.Encoder o -> new Op.Encoder(f.apply(o.out()), f.apply(o.tokens()), f.apply(o.wte()), f.apply(o.wpe()));
            case Op.EncoderBackward o -> new Op.EncoderBackward(f.apply(o.dwte()), f.apply(o.dwpe()), f.apply(o.dout()),
                    f.apply(o.tokens()));
            case Op.LayerNorm o -> new Op.LayerNorm(f.apply(o.out()), f.apply(o.mean()), f.apply(o.rstd()),
                    f.apply(o.inp()), f.apply(o.weight()), f.apply(o.bias()));
            case Op.LayerNormBackward o -> new Op.LayerNormBackward(f.apply(o.dinp()), f.apply(o.dweight()),
                    f.apply(o.dbias()), f.apply(o.dout()), f.apply(o.inp()), f.apply(o.weight()), f.apply(o.mean()),
                    f.apply(o.rstd()));
            case Op.Matmul o -> new Op.Matmul(f.apply(o.out()), f.apply(o.a()), o.transA(), f.apply(o.b()), o.transB(),
                    o.bias() == null ? null : f.apply(o.bias()), o.accumulate());
            case Op.BiasBackward o -> new Op.BiasBackward(f.apply(o.dbias()), f.apply(o.dout()));
            case Op.Attention o -> new Op.Attention(f.apply(o.out()), f.apply(o.att()), f.apply(o.qkv()), o.numHeads(),
                    o.dropout());
            case Op.AttentionBackward o -> new Op.AttentionBackward(f.apply(o.dqkv()), f.apply(o.scratch()),
                    f.apply(o.dout()), f.apply(o.qkv()), f.apply(o.att()), o.numHeads(), o.dropout());
            case Op.Gelu o -> new Op.Gelu(f.apply(o.out()), f.apply(o.inp()));
            case Op.GeluBackward o -> new Op.GeluBackward(f.apply(o.dinp()), f.apply(o.inp()), f.apply(o.dout()));
            case Op.Add o -> new Op.Add(f.apply(o.out()), f.apply(o.a()), f.apply(o.b()));
            case Op.Dropout o -> new Op.Dropout(f.apply(o.out()), f.apply(o.inp()), o.site());
            case Op.DropoutBackward o -> new Op.DropoutBackward(f.apply(o.dinp()), f.apply(o.dout()), o.site());
            case Op.Accumulate o -> new Op.Accumulate(f.apply(o.dst()), f.apply(o.src()));
            case Op.CrossEntropy o -> new Op.CrossEntropy(f.apply(o.losses()), f.apply(o.logits()), f.apply(o.targets()),
                    o.scaleSlot());
        };
    }
}
