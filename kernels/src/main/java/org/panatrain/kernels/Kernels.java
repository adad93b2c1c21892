// The one interface every backend implements: one method per op that GPT-2 training needs,
// forward and backward. Backends differ in where tensors live, never in what an op computes.
// Dimension names, used in every shape comment: B batch, T sequence, C channels, V vocabulary,
// NH heads, HS = C/NH head size, N = B*T rows, OC output channels.
package org.panatrain.kernels;

import java.util.List;
import org.panatrain.memory.Tensor;

/**
 * The ops of GPT-2 training. Tensors are contiguous, row-major and live where {@link #location()}
 * says; a 2-D op reads a tensor of any rank as (rows(), last dimension). Unless a method says
 * otherwise: forward ops overwrite their outputs; backward ops <b>accumulate</b> ({@code +=}) into
 * every gradient they write, so the caller zeroes gradients once per step (or per accumulation
 * window for parameter gradients). Token tensors are INT32.
 *
 * <pre>{@code
 * try (Kernels k = CpuKernels.create()) {
 *     k.matmul(out, x, false, w, false, bias, false);   // out (N,OC) = x (N,C) @ w (C,OC) + bias
 *     k.geluForward(h, out);
 * }
 * }</pre>
 */
public interface Kernels extends AutoCloseable {

    /** A short name for logs ("cpu", "cuda:0 NVIDIA H100"). */
    String name();

    /** Where the tensors this backend takes must live. */
    Tensor.Location location();

    // ---- memory -------------------------------------------------------------------------------

    /** Sets every element of {@code t} to {@code value}. */
    void fill(Tensor t, float value);

    /** dst = src, elementwise; same element count and dtype. */
    void copy(Tensor dst, Tensor src);

    /** dst += src, elementwise (the backward of a residual add, gradient fan-in). */
    void accumulate(Tensor dst, Tensor src);

    /** dst *= factor, elementwise. */
    void scale(Tensor dst, float factor);

    // ---- embedding ----------------------------------------------------------------------------

    /** out (B,T,C) = wte[tokens[b,t]] + wpe[t]; tokens (B,T), wte (V,C), wpe (maxT,C). */
    void encoderForward(Tensor out, Tensor tokens, Tensor wte, Tensor wpe);

    /** dwte (V,C) += scatter of dout (B,T,C) by token; dwpe (maxT,C) += sum over b. Deterministic. */
    void encoderBackward(Tensor dwte, Tensor dwpe, Tensor dout, Tensor tokens);

    // ---- layernorm ----------------------------------------------------------------------------

    /**
     * out (N,C) = (inp - mean) * rstd * weight + bias, with mean (N) and rstd (N) = 1/sqrt(var + 1e-5)
     * saved for the backward; var is the biased variance.
     */
    void layerNormForward(Tensor out, Tensor mean, Tensor rstd, Tensor inp, Tensor weight, Tensor bias);

    /** Accumulates dinp (N,C), dweight (C) and dbias (C) from dout (N,C). */
    void layerNormBackward(Tensor dinp, Tensor dweight, Tensor dbias, Tensor dout,
                           Tensor inp, Tensor weight, Tensor mean, Tensor rstd);

    // ---- matmul -------------------------------------------------------------------------------

    /**
     * out (M,N) = op(a) @ op(b) [+ bias (N)], where op(x) is x or its transpose: a is (M,K), or
     * (K,M) when {@code transA}; b is (K,N), or (N,K) when {@code transB}. With {@code accumulate}
     * the product is added to out (the bias, if any, too). {@code bias} may be null.
     * Accumulation is in FP32.
     */
    void matmul(Tensor out, Tensor a, boolean transA, Tensor b, boolean transB, Tensor bias, boolean accumulate);

    /** dbias (OC) += the column sums of dout (N,OC). */
    void biasBackward(Tensor dbias, Tensor dout);

    // ---- attention ----------------------------------------------------------------------------

    /**
     * Causal multi-head self-attention. qkv (B,T,3C) holds q, k, v side by side on the last axis,
     * head h using channels [h*HS, (h+1)*HS) of each. att (B,NH,T,T) receives the softmax
     * probabilities (zero above the diagonal) for the backward; out (B,T,C) = att @ v per head.
     * Scores are scaled by 1/sqrt(HS).
     */
    default void attentionForward(Tensor out, Tensor att, Tensor qkv, int numHeads) {
        attentionForward(out, att, qkv, numHeads, 0f, 0L);
    }

    /**
     * {@link #attentionForward(Tensor, Tensor, Tensor, int)} with dropout on the probabilities:
     * att keeps the softmax before dropout, and out = dropout(att) @ v, where element i of att
     * (flat (B,NH,T,T) index) is kept iff {@link Philox#keep}(seed, i, threshold(p)) and kept
     * values are scaled by 1/(1-p). With p = 0, exactly the call without dropout.
     */
    void attentionForward(Tensor out, Tensor att, Tensor qkv, int numHeads, float dropout, long seed);

    /**
     * Accumulates dqkv (B,T,3C) from dout (B,T,C), given the forward's qkv and att.
     * {@code scratch} (B,NH,T,T) is workspace the backend overwrites; its contents afterwards are
     * unspecified (the CPU backend leaves the gradient of the scaled pre-softmax scores there).
     */
    default void attentionBackward(Tensor dqkv, Tensor scratch, Tensor dout, Tensor qkv, Tensor att, int numHeads) {
        attentionBackward(dqkv, scratch, dout, qkv, att, numHeads, 0f, 0L);
    }

    /**
     * The backward of {@link #attentionForward(Tensor, Tensor, Tensor, int, float, long)} with the
     * same dropout and seed (so the same mask): dv uses the dropped probabilities, and the
     * gradient of the probabilities is masked and scaled before the softmax backward. With
     * p = 0, exactly the call without dropout.
     */
    void attentionBackward(Tensor dqkv, Tensor scratch, Tensor dout, Tensor qkv, Tensor att, int numHeads,
                           float dropout, long seed);

    // ---- pointwise ----------------------------------------------------------------------------

    /** out = 0.5 x (1 + tanh(sqrt(2/pi) (x + 0.044715 x^3))), elementwise. */
    void geluForward(Tensor out, Tensor inp);

    /** dinp += gelu'(inp) * dout, elementwise. */
    void geluBackward(Tensor dinp, Tensor inp, Tensor dout);

    /** out = a + b, elementwise (residual connections). */
    void add(Tensor out, Tensor a, Tensor b);

    /**
     * Dropout: out (+)= inp * keep_i / (1 - p), elementwise, where element i is kept iff
     * {@link Philox#keep}(seed, i, {@link Philox#threshold}(p)); with {@code accumulate} the result
     * is added to out. The backward is the same call on dout with accumulate = true (same seed,
     * same mask). out may be inp when not accumulating. 0 <= p < 1; p = 0 copies (or adds).
     */
    void dropout(Tensor out, Tensor inp, float p, long seed, boolean accumulate);

    // ---- loss ---------------------------------------------------------------------------------

    /**
     * Fused softmax + cross-entropy. For each row n of logits (N,V): losses[n] = -log softmax(logits[n])[targets[n]];
     * then logits[n] is overwritten with dlogits = (softmax(logits[n]) - onehot(targets[n])) * dlossScale.
     * losses (N), targets (N) INT32. A caller that wants only the loss passes dlossScale = 0.
     */
    void crossEntropy(Tensor losses, Tensor logits, Tensor targets, float dlossScale);

    // ---- optimizer ----------------------------------------------------------------------------

    /**
     * One AdamW step on FP32 master weights, in place, with PyTorch's semantics:
     * m = b1 m + (1-b1) g; v = b2 v + (1-b2) g^2; mhat = m/(1-b1^t); vhat = v/(1-b2^t);
     * param -= lr (mhat/(sqrt(vhat)+eps) + wd param). {@code t} counts from 1.
     */
    void adamW(Tensor param, Tensor grad, Tensor m, Tensor v, AdamWStep step);

    /**
     * One Lion step (Chen et al. 2023, Algorithm 2) on FP32 weights, in place, per element:
     * c = b1 m + (1-b1) g; param = param (1 - lr wd) - lr sign(c); m = b2 m + (1-b2) g, with
     * sign(0) = 0 as torch.sign. m is FP32 with param's element count.
     */
    void lion(Tensor param, Tensor grad, Tensor m, float lr, float beta1, float beta2, float weightDecay);

    /**
     * Adafactor's second-moment EMA (Shazeer &amp; Stern 2018) from grad, with u2 = g^2 + eps1.
     * Factored ({@code column} not null; grad read as (rows, cols), cols its last dimension):
     * row (rows) = beta2t row + (1-beta2t) mean over j of u2[r][j]; column (cols) likewise over r.
     * Unfactored ({@code column} null): row has grad's element count and row = beta2t row + (1-beta2t) u2.
     */
    void adafactorMoments(Tensor grad, Tensor row, Tensor column, float beta2t, float eps1);

    /**
     * Adafactor's update from the moments {@link #adafactorMoments} left, in place on FP32 weights:
     * u = g / sqrt(row[r] / mean(row)) / sqrt(column[j]) (factored) or u = g / sqrt(row) (unfactored);
     * u = u / max(1, RMS(u) / clipThreshold) with RMS over the whole tensor; param = param (1 - lr wd) - lr u.
     */
    void adafactorUpdate(Tensor param, Tensor grad, Tensor row, Tensor column, float lr, float weightDecay,
                         float clipThreshold);

    /**
     * One AdamW step with block-wise 8-bit moments (bitsandbytes' 8-bit Adam), in place: for each
     * block of {@code block} elements, m = SIGNED.decode(codesM) absmaxM[b] and v = UNSIGNED.decode(codesV)
     * absmaxV[b] ({@link DynamicQuantization}); the update of {@link #adamW} in FP32; then absmaxM[b] =
     * max |m|, absmaxV[b] = max v over the block, and the codes of m / absmaxM[b] and v / absmaxV[b]
     * (0 when the absmax is 0). codesM, codesV: INT8 holding 0..255, param's element count; absmaxM,
     * absmaxV: FP32, one per block. {@code t} counts from 1.
     */
    void adamW8bit(Tensor param, Tensor grad, Tensor codesM, Tensor absmaxM, Tensor codesV, Tensor absmaxV, int block,
                   float lr, float beta1, float beta2, float eps, float weightDecay, int t);

    /** out (1) FP32 = the sum of squares of every element of every tensor, computed deterministically. */
    void sumOfSquares(Tensor out, List<Tensor> tensors);

    /**
     * Clipping by global norm as PyTorch's clip_grad_norm_: with norm = sqrt(sumOfSquares[0]),
     * every tensor is multiplied by min(1, maxNorm / (norm + 1e-6)).
     */
    void clipByGlobalNorm(List<Tensor> tensors, Tensor sumOfSquares, float maxNorm);

    /** flag (1) FP32 = 1 if any element of any tensor is NaN or infinite, else 0. */
    void checkFinite(Tensor flag, List<Tensor> tensors);

    /**
     * The gradient pass of dynamic loss scaling: flag (1) FP32 = 1 if any element of any tensor is
     * NaN or infinite before the multiply, else 0; and every tensor *= factor. A backend fuses the
     * two into one read of each tensor where it can (the CPU backend does); this default runs
     * {@link #checkFinite} and then {@link #scale}.
     */
    default void unscaleAndCheckFinite(Tensor flag, List<Tensor> tensors, float factor) {
        checkFinite(flag, tensors);
        for (int i = 0; i < tensors.size(); i++) {   // by index: no iterator per call
            scale(tensors.get(i), factor);
        }
    }

    // ---- host transfer ------------------------------------------------------------------------

    /** Copies a host tensor into a tensor of this backend (same dtype and element count). */
    void upload(Tensor dst, Tensor hostSrc);

    /** Copies a tensor of this backend into a host tensor (same dtype and element count). */
    void download(Tensor hostDst, Tensor src);

    /** Frees what the backend holds (thread pools, handles); tensors are owned by their arenas. */
    @Override
    void close();
}
