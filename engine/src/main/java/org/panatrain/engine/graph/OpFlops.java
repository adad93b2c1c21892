// Floating-point operations of one op, for the recompute accounting (model FLOPs vs recompute
// FLOPs, MFU vs HFU). Counts the products, as MFU conventions do: a matmul is 2*M*N*K, the
// attention forward 2 products of 2*B*NH*T*T*HS each (the full square, the causal mask not
// subtracted), its backward twice that. Element-wise ops (layernorm, GELU, adds, the loss) are
// counted as zero: they are memory-bound and a fraction of a percent of the products.
package org.panatrain.engine.graph;

/**
 * FLOPs of an op from its tensor shapes.
 *
 * <pre>{@code
 * long flops = graph.ops().stream().mapToLong(OpFlops::of).sum();
 * }</pre>
 */
public final class OpFlops {
    private OpFlops() {
    }

    /** The FLOPs of {@code op}; 0 for element-wise ops. */
    public static long of(Op op) {
        return switch (op) {
            case Op.Matmul m -> {
                int[] a = m.a().shape();                        // viewed as (rows, last dim)
                long cols = a[a.length - 1];
                long k = m.transA() ? m.a().numel() / cols : cols; // op(a) is (M, K)
                yield 2 * m.out().numel() * k;
            }
            case Op.Attention a -> attentionProducts(a.att(), a.qkv());
            case Op.AttentionBackward a -> 2 * attentionProducts(a.att(), a.qkv());
            default -> 0;
        };
    }

    // att (B,NH,T,T), qkv (B,T,3C): QK^T and att @ V, each 2 * B*NH*T*T * HS = 2 * B*T*T*C
    private static long attentionProducts(TensorSpec att, TensorSpec qkv) {
        int[] s = att.shape();
        long B = s[0];
        long T = s[2];
        long C = qkv.shape()[2] / 3;
        return 2 * (2 * B * T * T * C);
    }
}
