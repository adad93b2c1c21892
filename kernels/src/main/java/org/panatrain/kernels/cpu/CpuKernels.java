// The CPU backend: validates arguments, then hands each op to its Vector API kernel class
// (CpuPointwise, CpuDropout, CpuEncoder, CpuLayerNorm, CpuAttention, CpuCrossEntropy, CpuAdamW,
// CpuReductions; CpuMatmul for matmul; CpuLion, CpuAdafactor, CpuAdamW8bit for the other
// optimizers), all running on one Parallel pool. Leaves out the kernels
// themselves and any dtype but FP32 (INT32 for tokens and targets).
package org.panatrain.kernels.cpu;

import java.util.List;
import org.panatrain.kernels.AdamWStep;
import org.panatrain.kernels.Kernels;
import org.panatrain.kernels.Philox;
import org.panatrain.memory.DType;
import org.panatrain.memory.Tensor;

/**
 * Kernels on host memory, multi-threaded and vectorized. Not thread-safe: one caller at a time
 * (the backend keeps reduction scratch between calls); every op uses all the backend's threads.
 *
 * <pre>{@code
 * try (Kernels k = CpuKernels.create()) {          // threads: -Dpanatrain.threads, else all processors
 *     k.layerNormForward(out, mean, rstd, x, w, b);  // out (N,C), mean (N), rstd (N)
 * }
 * }</pre>
 */
public final class CpuKernels implements Kernels {
    private final Parallel par;
    private final CpuReductions reductions;
    private final CpuDropout dropout = new CpuDropout();
    private final CpuLion lion;
    private final CpuAdafactor adafactor;
    private final CpuAdamW8bit adamW8bit;
    private float[] layerNormPartials = new float[0];  // (chunks, 2, C) dweight/dbias partial sums
    private final int[] shapeDims = new int[3];        // {B, T, C} the shape checks return, reused every call

    private CpuKernels(int threads) {
        this.par = new Parallel(threads);
        this.reductions = new CpuReductions(par);
        this.lion = new CpuLion(par);
        this.adafactor = new CpuAdafactor(par);
        this.adamW8bit = new CpuAdamW8bit(par);
    }

    /** A backend with {@link Parallel#defaultThreads()} threads. */
    public static CpuKernels create() {
        return create(Parallel.defaultThreads());
    }

    /** A backend with {@code threads} threads. */
    public static CpuKernels create(int threads) {
        return new CpuKernels(threads);
    }

    @Override
    public String name() {
        return "cpu";
    }

    @Override
    public Tensor.Location location() {
        return Tensor.Location.HOST;
    }

    /** Worker threads of this backend. */
    public int threads() {
        return par.threads();
    }

    // ---- memory -------------------------------------------------------------------------------

    @Override
    public void fill(Tensor t, float value) {
        Checks.f32("fill", "t", t);
        CpuPointwise.fill(par, t.data(), t.numel(), value);
    }

    @Override
    public void copy(Tensor dst, Tensor src) {
        Checks.host("copy", "src", src, src.dtype());
        Checks.host("copy", "dst", dst, src.dtype());
        Checks.sameSize("copy", "dst", dst, "src", src);
        CpuPointwise.copy(par, dst.data(), src.data(), src.byteSize());
    }

    @Override
    public void accumulate(Tensor dst, Tensor src) {
        elementwise("accumulate", dst, src);
        CpuPointwise.accumulate(par, dst.data(), src.data(), dst.numel());
    }

    @Override
    public void scale(Tensor dst, float factor) {
        Checks.f32("scale", "dst", dst);
        CpuPointwise.scale(par, dst.data(), dst.numel(), factor);
    }

    // ---- embedding ----------------------------------------------------------------------------

    @Override
    public void encoderForward(Tensor out, Tensor tokens, Tensor wte, Tensor wpe) {
        int[] btc = encoderShapes("encoderForward", out, tokens, wte, wpe);
        CpuEncoder.forward(par, out.data(), tokens.data(), wte.data(), wpe.data(), btc[0], btc[1], btc[2]);
    }

    @Override
    public void encoderBackward(Tensor dwte, Tensor dwpe, Tensor dout, Tensor tokens) {
        int[] btc = encoderShapes("encoderBackward", dout, tokens, dwte, dwpe);
        CpuEncoder.backward(par, dwte.data(), dwpe.data(), dout.data(), tokens.data(), btc[0], btc[1], btc[2]);
    }

    /** Checks out/dout (B,T,C), tokens (B,T) in [0,V), table (V,C), positions (maxT >= T, C); returns {B, T, C}. */
    private int[] encoderShapes(String op, Tensor act, Tensor tokens, Tensor table, Tensor positions) {
        Checks.host(op, "tokens", tokens, DType.INT32);
        Checks.rank(op, "tokens", tokens, 2);
        Checks.f32(op, "wte", table);
        Checks.rank(op, "wte", table, 2);
        Checks.f32(op, "wpe", positions);
        Checks.rank(op, "wpe", positions, 2);
        int B = tokens.dim(0), T = tokens.dim(1), V = table.dim(0), C = table.dim(1);
        Checks.matrix(op, "out", act, (long) B * T, C);
        if (positions.dim(1) != C || positions.dim(0) < T) {
            throw new IllegalArgumentException(op + ": wpe must be (maxT >= " + T + ", " + C + "), got " + positions);
        }
        Checks.tokenRange(op, "tokens", tokens, V);
        return dims(B, T, C);
    }

    // ---- layernorm ----------------------------------------------------------------------------

    @Override
    public void layerNormForward(Tensor out, Tensor mean, Tensor rstd, Tensor inp, Tensor weight, Tensor bias) {
        String op = "layerNormForward";
        Checks.f32(op, "inp", inp);
        int N = inp.rows(), C = inp.dim(-1);
        Checks.f32(op, "out", out, inp.numel());
        Checks.f32(op, "mean", mean, N);
        Checks.f32(op, "rstd", rstd, N);
        Checks.f32(op, "weight", weight, C);
        Checks.f32(op, "bias", bias, C);
        CpuLayerNorm.forward(par, out.data(), mean.data(), rstd.data(), inp.data(), weight.data(), bias.data(), N, C);
    }

    @Override
    public void layerNormBackward(Tensor dinp, Tensor dweight, Tensor dbias, Tensor dout,
                                  Tensor inp, Tensor weight, Tensor mean, Tensor rstd) {
        String op = "layerNormBackward";
        Checks.f32(op, "inp", inp);
        int N = inp.rows(), C = inp.dim(-1);
        Checks.f32(op, "dinp", dinp, inp.numel());
        Checks.f32(op, "dout", dout, inp.numel());
        Checks.f32(op, "dweight", dweight, C);
        Checks.f32(op, "dbias", dbias, C);
        Checks.f32(op, "weight", weight, C);
        Checks.f32(op, "mean", mean, N);
        Checks.f32(op, "rstd", rstd, N);
        int need = CpuLayerNorm.chunks(N) * 2 * C;
        if (layerNormPartials.length < need) {
            layerNormPartials = new float[need];
        }
        CpuLayerNorm.backward(par, layerNormPartials, dinp.data(), dweight.data(), dbias.data(), dout.data(),
                inp.data(), weight.data(), mean.data(), rstd.data(), N, C);
    }

    // ---- matmul -------------------------------------------------------------------------------

    @Override
    public void matmul(Tensor out, Tensor a, boolean transA, Tensor b, boolean transB, Tensor bias, boolean accumulate) {
        String op = "matmul";
        Checks.f32(op, "out", out);
        Checks.f32(op, "a", a);
        Checks.f32(op, "b", b);
        int M = out.rows(), N = out.dim(-1);
        int aRows = transA ? a.dim(-1) : a.rows(), K = transA ? a.rows() : a.dim(-1);
        int bCols = transB ? b.rows() : b.dim(-1), bK = transB ? b.dim(-1) : b.rows();
        if (aRows != M || bCols != N || bK != K) {
            throw new IllegalArgumentException(op + ": out " + out + " != op(a " + a + (transA ? "^T" : "") + ") @ op(b "
                    + b + (transB ? "^T" : "") + ")");
        }
        if (bias != null) {
            Checks.f32(op, "bias", bias, N);
        }
        CpuMatmul.multiply(par, out, a, transA, b, transB, bias, accumulate);
    }

    @Override
    public void biasBackward(Tensor dbias, Tensor dout) {
        Checks.f32("biasBackward", "dout", dout);
        Checks.f32("biasBackward", "dbias", dbias, dout.dim(-1));
        reductions.biasBackward(dbias.data(), dout.data(), dout.rows(), dout.dim(-1));
    }

    // ---- attention ----------------------------------------------------------------------------

    @Override
    public void attentionForward(Tensor out, Tensor att, Tensor qkv, int numHeads, float dropout, long seed) {
        int[] btc = attentionShapes("attentionForward", qkv, numHeads);
        int B = btc[0], T = btc[1], C = btc[2];
        Checks.matrix("attentionForward", "out", out, (long) B * T, C);
        Checks.f32("attentionForward", "att", att);
        Checks.shape("attentionForward", "att", att, B, numHeads, T, T);
        CpuAttention.forward(par, out.data(), att.data(), qkv.data(), B, T, C, numHeads, dropout, seed);
    }

    @Override
    public void attentionBackward(Tensor dqkv, Tensor scratch, Tensor dout, Tensor qkv, Tensor att, int numHeads,
                                  float dropout, long seed) {
        String op = "attentionBackward";
        int[] btc = attentionShapes(op, qkv, numHeads);
        int B = btc[0], T = btc[1], C = btc[2];
        Checks.matrix(op, "dqkv", dqkv, (long) B * T, 3 * C);
        Checks.matrix(op, "dout", dout, (long) B * T, C);
        Checks.f32(op, "att", att);
        Checks.shape(op, "att", att, B, numHeads, T, T);
        Checks.f32(op, "scratch", scratch);
        Checks.shape(op, "scratch", scratch, B, numHeads, T, T);
        CpuAttention.backward(par, dqkv.data(), scratch.data(), dout.data(), qkv.data(), att.data(), B, T, C, numHeads,
                dropout, seed);
    }

    /** Checks qkv (B,T,3C) with NH dividing C; returns {B, T, C}. */
    private int[] attentionShapes(String op, Tensor qkv, int numHeads) {
        Checks.f32(op, "qkv", qkv);
        Checks.rank(op, "qkv", qkv, 3);
        int threeC = qkv.dim(2);
        if (threeC % 3 != 0 || numHeads < 1 || (threeC / 3) % numHeads != 0) {
            throw new IllegalArgumentException(op + ": qkv " + qkv + " needs a last dimension 3*C with C divisible by numHeads "
                    + numHeads);
        }
        return dims(qkv.dim(0), qkv.dim(1), threeC / 3);
    }

    /** {B, T, C} in the backend's reused array (read it before the next check). */
    private int[] dims(int B, int T, int C) {
        shapeDims[0] = B;
        shapeDims[1] = T;
        shapeDims[2] = C;
        return shapeDims;
    }

    // ---- pointwise ----------------------------------------------------------------------------

    @Override
    public void geluForward(Tensor out, Tensor inp) {
        elementwise("geluForward", out, inp);
        CpuPointwise.geluForward(par, out.data(), inp.data(), out.numel());
    }

    @Override
    public void geluBackward(Tensor dinp, Tensor inp, Tensor dout) {
        elementwise("geluBackward", dinp, inp);
        elementwise("geluBackward", dinp, dout);
        CpuPointwise.geluBackward(par, dinp.data(), inp.data(), dout.data(), dinp.numel());
    }

    @Override
    public void add(Tensor out, Tensor a, Tensor b) {
        elementwise("add", out, a);
        elementwise("add", out, b);
        CpuPointwise.add(par, out.data(), a.data(), b.data(), out.numel());
    }

    @Override
    public void dropout(Tensor out, Tensor inp, float p, long seed, boolean accumulate) {
        elementwise("dropout", out, inp);
        if (p == 0f) {   // every element kept, times 1: the same bits as a copy (evaluation runs here)
            if (accumulate) {
                CpuPointwise.accumulate(par, out.data(), inp.data(), out.numel());
            } else if (out.data().address() != inp.data().address()) {
                CpuPointwise.copy(par, out.data(), inp.data(), out.byteSize());
            }
            return;
        }
        dropout.run(par, out.data(), inp.data(), out.numel(), p, seed, accumulate);
    }

    private static void elementwise(String op, Tensor dst, Tensor src) {
        Checks.f32(op, "destination", dst);
        Checks.f32(op, "source", src);
        Checks.sameSize(op, "destination", dst, "source", src);
    }

    // ---- loss ---------------------------------------------------------------------------------

    @Override
    public void crossEntropy(Tensor losses, Tensor logits, Tensor targets, float dlossScale) {
        String op = "crossEntropy";
        Checks.f32(op, "logits", logits);
        int N = logits.rows(), V = logits.dim(-1);
        Checks.f32(op, "losses", losses, N);
        Checks.host(op, "targets", targets, DType.INT32);
        if (targets.numel() != N) {
            throw new IllegalArgumentException(op + ": targets must have " + N + " elements, got " + targets);
        }
        Checks.tokenRange(op, "targets", targets, V);
        CpuCrossEntropy.run(par, losses.data(), logits.data(), targets.data(), dlossScale, N, V);
    }

    // ---- optimizer ----------------------------------------------------------------------------

    @Override
    public void adamW(Tensor param, Tensor grad, Tensor m, Tensor v, AdamWStep step) {
        Checks.f32("adamW", "param", param);
        long n = param.numel();
        Checks.f32("adamW", "grad", grad, n);
        Checks.f32("adamW", "m", m, n);
        Checks.f32("adamW", "v", v, n);
        CpuAdamW.step(par, param.data(), grad.data(), m.data(), v.data(), n, step);
    }

    @Override
    public void lion(Tensor param, Tensor grad, Tensor m, float lr, float beta1, float beta2, float weightDecay) {
        Checks.f32("lion", "param", param);
        long n = param.numel();
        Checks.f32("lion", "grad", grad, n);
        Checks.f32("lion", "m", m, n);
        lion.step(param.data(), grad.data(), m.data(), n, lr, beta1, beta2, weightDecay);
    }

    @Override
    public void adafactorMoments(Tensor grad, Tensor row, Tensor column, float beta2t, float eps1) {
        Checks.f32("adafactorMoments", "grad", grad);
        if (column == null) {
            Checks.f32("adafactorMoments", "row", row, grad.numel());
            adafactor.moments(grad.data(), row.data(), null, Math.toIntExact(grad.numel()), 1, beta2t, eps1);
            return;
        }
        int rows = adafactorRows("adafactorMoments", grad, row, column);
        adafactor.moments(grad.data(), row.data(), column.data(), rows, grad.dim(-1), beta2t, eps1);
    }

    @Override
    public void adafactorUpdate(Tensor param, Tensor grad, Tensor row, Tensor column, float lr, float weightDecay,
                                float clipThreshold) {
        Checks.f32("adafactorUpdate", "param", param);
        Checks.f32("adafactorUpdate", "grad", grad, param.numel());
        if (column == null) {
            Checks.f32("adafactorUpdate", "row", row, grad.numel());
            adafactor.update(param.data(), grad.data(), row.data(), null, Math.toIntExact(grad.numel()), 1, lr,
                    weightDecay, clipThreshold);
            return;
        }
        int rows = adafactorRows("adafactorUpdate", grad, row, column);
        adafactor.update(param.data(), grad.data(), row.data(), column.data(), rows, grad.dim(-1), lr, weightDecay,
                clipThreshold);
    }

    /** Rows of grad read as a matrix, after checking that row and column hold one float per row and column. */
    private static int adafactorRows(String op, Tensor grad, Tensor row, Tensor column) {
        if (grad.rank() < 2) {
            throw new IllegalArgumentException(op + ": a factored grad must have rank >= 2, got " + grad);
        }
        int rows = Math.toIntExact(grad.numel() / grad.dim(-1));
        Checks.f32(op, "row", row, rows);
        Checks.f32(op, "column", column, grad.dim(-1));
        return rows;
    }

    @Override
    public void adamW8bit(Tensor param, Tensor grad, Tensor codesM, Tensor absmaxM, Tensor codesV, Tensor absmaxV,
                          int block, float lr, float beta1, float beta2, float eps, float weightDecay, int t) {
        Checks.f32("adamW8bit", "param", param);
        long n = param.numel();
        Checks.f32("adamW8bit", "grad", grad, n);
        if (block < 1 || t < 1) {
            throw new IllegalArgumentException("adamW8bit: block and t must be positive, got " + block + " and " + t);
        }
        Checks.host("adamW8bit", "codesM", codesM, DType.INT8);
        Checks.host("adamW8bit", "codesV", codesV, DType.INT8);
        Checks.sameSize("adamW8bit", "param", param, "codesM", codesM);
        Checks.sameSize("adamW8bit", "param", param, "codesV", codesV);
        long blocks = (n + block - 1) / block;
        Checks.f32("adamW8bit", "absmaxM", absmaxM, blocks);
        Checks.f32("adamW8bit", "absmaxV", absmaxV, blocks);
        adamW8bit.step(param.data(), grad.data(), codesM.data(), absmaxM.data(), codesV.data(), absmaxV.data(), n,
                block, lr, beta1, beta2, eps, weightDecay, t);
    }

    @Override
    public void sumOfSquares(Tensor out, List<Tensor> tensors) {
        Checks.f32("sumOfSquares", "out", out, 1);
        checkAll("sumOfSquares", tensors);
        out.setFloat(0, (float) reductions.sumOfSquares(tensors));
    }

    @Override
    public void clipByGlobalNorm(List<Tensor> tensors, Tensor sumOfSquares, float maxNorm) {
        Checks.f32("clipByGlobalNorm", "sumOfSquares", sumOfSquares, 1);
        checkAll("clipByGlobalNorm", tensors);
        double norm = Math.sqrt(sumOfSquares.getFloat(0));
        float factor = (float) (maxNorm / (norm + 1e-6));
        if (factor < 1f) {
            for (int i = 0; i < tensors.size(); i++) {
                CpuPointwise.scale(par, tensors.get(i).data(), tensors.get(i).numel(), factor);
            }
        }
    }

    @Override
    public void checkFinite(Tensor flag, List<Tensor> tensors) {
        Checks.f32("checkFinite", "flag", flag, 1);
        checkAll("checkFinite", tensors);
        flag.setFloat(0, reductions.anyNonFinite(tensors) ? 1f : 0f);
    }

    /** One pass per tensor piece: the non-finite probe reads each value, then stores it times factor. */
    @Override
    public void unscaleAndCheckFinite(Tensor flag, List<Tensor> tensors, float factor) {
        Checks.f32("unscaleAndCheckFinite", "flag", flag, 1);
        checkAll("unscaleAndCheckFinite", tensors);
        flag.setFloat(0, reductions.scaleAndFindNonFinite(tensors, factor) ? 1f : 0f);
    }

    private static void checkAll(String op, List<Tensor> tensors) {
        for (int i = 0; i < tensors.size(); i++) {
            Tensor t = tensors.get(i);
            if (t == null || t.location() != Tensor.Location.HOST || t.dtype() != DType.FP32) {
                Checks.f32(op, "tensors[" + i + "]", t);   // the name is built only to say what is wrong
            }
        }
    }

    // ---- host transfer ------------------------------------------------------------------------

    @Override
    public void upload(Tensor dst, Tensor hostSrc) {
        copy(dst, hostSrc);
    }

    @Override
    public void download(Tensor hostDst, Tensor src) {
        copy(hostDst, src);
    }

    @Override
    public void close() {
        par.close();
    }
}
