// CPU emulation of a PrecisionPolicy around an FP32 host backend: every op runs in FP32 on
// operands rounded as the policy stores them, and its outputs are rounded to their storage dtype,
// so a training step sees the values a BF16/FP16/FP8 GPU step would (up to the order of FP32
// accumulation). It infers what a tensor is from the op sequence a training step has (forward
// from encoderForward, backward from the cross-entropy on) and from the model tensors it is
// bound to; it does not see a graph. Under tf32 the operands of every matmul op are rounded to
// TF32. Leaves out the products inside the fused attention op (FP32 here; cuBLAS matmuls in the
// low precision on a GPU) and caching of rounded weight copies between the matmuls of a step.
package org.panatrain.engine.precision;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.panatrain.kernels.AdamWStep;
import org.panatrain.kernels.Kernels;
import org.panatrain.memory.DType;
import org.panatrain.memory.Tensor;

/**
 * A {@link Kernels} that emulates {@code policy} over {@code fp32}, a host backend. Working
 * weights are rounded copies of the FP32 masters; activations and activation gradients are
 * rounded in place after the op that writes them; parameter gradients, layernorm statistics,
 * attention probabilities and losses stay FP32. FP8 matmul operands go through
 * {@link PrecisionEmulation#quantizeDequantize} with one {@link Fp8DelayedScaling} per operand
 * tensor and format, updated with each cast's amax; their order of first use in a step is fixed
 * by the model, batch and recompute schedule, so {@link #fp8States()} is a checkpointable list.
 *
 * <pre>{@code
 * EmulatedPrecisionKernels k = new EmulatedPrecisionKernels(CpuKernels.create(), PrecisionPolicy.of(Precision.BF16));
 * Gpt2 model = Gpt2.create(cfg, k, seed);
 * Parameter wte = model.parameter("wte.weight");
 * k.bind(model.gradientBlock(), wte.value(), wte.grad());   // before the first step
 * }</pre>
 */
public final class EmulatedPrecisionKernels implements Kernels {
    private final Kernels fp32;
    private final PrecisionPolicy policy;
    private final DType low;                        // storage of activations and their gradients
    private final Map<String, Fp8DelayedScaling> fp8Scalings = new LinkedHashMap<>();   // in order of first cast
    private final List<Fp8DelayedScaling.State> pendingFp8 = new ArrayList<>();   // restored, for tensors not cast yet
    private final List<long[]> gradientRanges = new ArrayList<>();   // [start, end) written in this backward
    private long[] parameterGradients = {0, 0};     // [start, end) of the FP32 parameter gradient block
    private long[] headWeight = {0, 0};             // the output head's weight (tied wte)
    private long[] headGradient = {0, 0};
    private boolean backward;
    // Rounded operand copies of the op running now: a bump allocator, reset by each op. Shared,
    // since the CPU backend's worker threads read the copies; it grows by doubling.
    private final Arena scratchArena = Arena.ofShared();
    private MemorySegment scratch = MemorySegment.NULL;
    private long scratchUsed;

    public EmulatedPrecisionKernels(Kernels fp32, PrecisionPolicy policy) {
        if (fp32.location() != Tensor.Location.HOST) {
            throw new IllegalArgumentException("precision emulation needs a host backend, got " + fp32.name());
        }
        this.fp32 = fp32;
        this.policy = policy;
        this.low = policy.storage(TensorRole.ACTIVATION);
    }

    /** Tells the emulation which memory holds parameter gradients and the output head's weight and gradient. */
    public void bind(Tensor parameterGradientBlock, Tensor outputHeadWeight, Tensor outputHeadGradient) {
        parameterGradients = range(parameterGradientBlock);
        headWeight = range(outputHeadWeight);
        headGradient = range(outputHeadGradient);
    }

    /** The FP32 host backend the arithmetic runs on. */
    public Kernels base() {
        return fp32;
    }

    /** The policy emulated. */
    public PrecisionPolicy policy() {
        return policy;
    }

    /** The FP8 scaling state of each operand tensor seen so far, keyed "address/format" (for inspection). */
    public Map<String, Fp8DelayedScaling> fp8Scalings() {
        return fp8Scalings;
    }

    /**
     * The FP8 scaling states of every operand tensor, in the order a step first casts them (then
     * any restored ones not cast since): the FP8 part of a checkpoint.
     */
    public List<Fp8DelayedScaling.State> fp8States() {
        List<Fp8DelayedScaling.State> states = new ArrayList<>();
        fp8Scalings.values().forEach(s -> states.add(s.state()));
        states.addAll(pendingFp8);
        return states;
    }

    /**
     * Restores states listed by {@link #fp8States()}: the i-th tensor a step casts gets the i-th
     * state, whether already cast or cast later. Throws IllegalArgumentException when the list is
     * shorter than the tensors cast so far or a state's format or history length does not fit.
     */
    public void restoreFp8States(List<Fp8DelayedScaling.State> states) {
        List<Fp8DelayedScaling> cast = List.copyOf(fp8Scalings.values());
        if (states.size() < cast.size()) {
            throw new IllegalArgumentException("fp8 scaling: " + states.size() + " saved states for " + cast.size()
                    + " tensors already cast");
        }
        for (int i = 0; i < cast.size(); i++) {
            cast.get(i).restore(states.get(i));
        }
        pendingFp8.clear();
        pendingFp8.addAll(states.subList(cast.size(), states.size()));
    }

    @Override
    public String name() {
        return fp32.name() + " emulating " + policy.precision().cliName();
    }

    @Override
    public Tensor.Location location() {
        return fp32.location();
    }

    @Override
    public void fill(Tensor t, float value) {
        fp32.fill(t, value);
    }

    @Override
    public void copy(Tensor dst, Tensor src) {
        fp32.copy(dst, src);
    }

    @Override
    public void accumulate(Tensor dst, Tensor src) {
        fp32.accumulate(dst, src);
        stored(dst);
    }

    @Override
    public void scale(Tensor dst, float factor) {
        fp32.scale(dst, factor);
    }

    @Override
    public void encoderForward(Tensor out, Tensor tokens, Tensor wte, Tensor wpe) {
        backward = false;
        gradientRanges.clear();
        scratchUsed = 0;
        fp32.encoderForward(out, tokens, working(wte), working(wpe));
        stored(out);
    }

    @Override
    public void encoderBackward(Tensor dwte, Tensor dwpe, Tensor dout, Tensor tokens) {
        fp32.encoderBackward(dwte, dwpe, dout, tokens);
    }

    @Override
    public void layerNormForward(Tensor out, Tensor mean, Tensor rstd, Tensor inp, Tensor weight, Tensor bias) {
        scratchUsed = 0;
        fp32.layerNormForward(out, mean, rstd, inp, working(weight), working(bias));
        stored(out);
    }

    @Override
    public void layerNormBackward(Tensor dinp, Tensor dweight, Tensor dbias, Tensor dout,
                                  Tensor inp, Tensor weight, Tensor mean, Tensor rstd) {
        scratchUsed = 0;
        fp32.layerNormBackward(dinp, dweight, dbias, dout, inp, working(weight), mean, rstd);
        stored(dinp);
    }

    @Override
    public void matmul(Tensor out, Tensor a, boolean transA, Tensor b, boolean transB, Tensor bias, boolean accumulate) {
        MatmulPass pass = !backward ? MatmulPass.FORWARD
                : inside(out, parameterGradients) ? MatmulPass.WEIGHT_GRADIENT : MatmulPass.INPUT_GRADIENT;
        boolean head = inside(a, headWeight) || inside(b, headWeight) || inside(out, headGradient);
        MatmulPrecision mp = policy.matmul(head ? LayerPosition.OUTPUT_HEAD : LayerPosition.BLOCK, pass);
        scratchUsed = 0;
        Tensor ra = matmulOperand(a, pass == MatmulPass.FORWARD ? mp.a() : backwardOperandType(a, mp), mp.tf32());
        Tensor rb = matmulOperand(b, pass == MatmulPass.FORWARD ? mp.b() : backwardOperandType(b, mp), mp.tf32());
        fp32.matmul(out, ra, transA, rb, transB, bias == null ? null : working(bias), accumulate);
        if (mp.output() != DType.FP32) {
            PrecisionEmulation.round(out, mp.output());
        }
        markIfBackward(out);
    }

    @Override
    public void biasBackward(Tensor dbias, Tensor dout) {
        fp32.biasBackward(dbias, dout);
    }

    @Override
    public void attentionForward(Tensor out, Tensor att, Tensor qkv, int numHeads, float dropout, long seed) {
        fp32.attentionForward(out, att, qkv, numHeads, dropout, seed);   // att: softmax, FP32
        stored(out);
    }

    @Override
    public void attentionBackward(Tensor dqkv, Tensor scratch, Tensor dout, Tensor qkv, Tensor att, int numHeads,
                                  float dropout, long seed) {
        fp32.attentionBackward(dqkv, scratch, dout, qkv, att, numHeads, dropout, seed);
        stored(dqkv);
    }

    @Override
    public void geluForward(Tensor out, Tensor inp) {
        fp32.geluForward(out, inp);
        stored(out);
    }

    @Override
    public void geluBackward(Tensor dinp, Tensor inp, Tensor dout) {
        fp32.geluBackward(dinp, inp, dout);
        stored(dinp);
    }

    @Override
    public void add(Tensor out, Tensor a, Tensor b) {
        fp32.add(out, a, b);
        stored(out);
    }

    @Override
    public void dropout(Tensor out, Tensor inp, float p, long seed, boolean accumulate) {
        fp32.dropout(out, inp, p, seed, accumulate);
        stored(out);
    }

    @Override
    public void crossEntropy(Tensor losses, Tensor logits, Tensor targets, float dlossScale) {
        fp32.crossEntropy(losses, logits, targets, dlossScale);   // softmax and losses in FP32
        backward = true;
        stored(logits);                                          // now dlogits, an activation gradient
    }

    @Override
    public void adamW(Tensor param, Tensor grad, Tensor m, Tensor v, AdamWStep step) {
        fp32.adamW(param, grad, m, v, step);
    }

    @Override
    public void lion(Tensor param, Tensor grad, Tensor m, float lr, float beta1, float beta2, float weightDecay) {
        fp32.lion(param, grad, m, lr, beta1, beta2, weightDecay);
    }

    @Override
    public void adafactorMoments(Tensor grad, Tensor row, Tensor column, float beta2t, float eps1) {
        fp32.adafactorMoments(grad, row, column, beta2t, eps1);
    }

    @Override
    public void adafactorUpdate(Tensor param, Tensor grad, Tensor row, Tensor column, float lr, float weightDecay,
                                float clipThreshold) {
        fp32.adafactorUpdate(param, grad, row, column, lr, weightDecay, clipThreshold);
    }

    @Override
    public void adamW8bit(Tensor param, Tensor grad, Tensor codesM, Tensor absmaxM, Tensor codesV, Tensor absmaxV,
                          int block, float lr, float beta1, float beta2, float eps, float weightDecay, int t) {
        fp32.adamW8bit(param, grad, codesM, absmaxM, codesV, absmaxV, block, lr, beta1, beta2, eps, weightDecay, t);
    }

    @Override
    public void sumOfSquares(Tensor out, List<Tensor> tensors) {
        fp32.sumOfSquares(out, tensors);
    }

    @Override
    public void clipByGlobalNorm(List<Tensor> tensors, Tensor sumOfSquares, float maxNorm) {
        fp32.clipByGlobalNorm(tensors, sumOfSquares, maxNorm);
    }

    @Override
    public void checkFinite(Tensor flag, List<Tensor> tensors) {
        fp32.checkFinite(flag, tensors);
    }

    @Override
    public void unscaleAndCheckFinite(Tensor flag, List<Tensor> tensors, float factor) {
        fp32.unscaleAndCheckFinite(flag, tensors, factor);
    }

    @Override
    public void upload(Tensor dst, Tensor hostSrc) {
        fp32.upload(dst, hostSrc);
    }

    @Override
    public void download(Tensor hostDst, Tensor src) {
        fp32.download(hostDst, src);
    }

    /** Closes the wrapped backend too. */
    @Override
    public void close() {
        scratchArena.close();
        fp32.close();
    }

    /** Rounds a tensor an op just wrote to its storage dtype, unless it is a parameter gradient (FP32). */
    private void stored(Tensor t) {
        if (!inside(t, parameterGradients)) {
            PrecisionEmulation.round(t, low);
        }
        markIfBackward(t);
    }

    private void markIfBackward(Tensor t) {
        if (backward) {
            gradientRanges.add(range(t));
        }
    }

    /** In a backward matmul the operand written earlier in this backward is the gradient (dtype a), the other b. */
    private DType backwardOperandType(Tensor operand, MatmulPrecision mp) {
        for (long[] r : gradientRanges) {
            if (inside(operand, r)) {
                return mp.a();
            }
        }
        return mp.b();
    }

    /** A copy of a weight (FP32 master) as the working weights store it. */
    private Tensor working(Tensor weight) {
        return operand(weight, policy.storage(TensorRole.WORKING_WEIGHT));
    }

    /** {@code x} as a matmul reads it in {@code type}: {@link #operand}, with FP32 rounded to TF32 when {@code tf32}. */
    private Tensor matmulOperand(Tensor x, DType type, boolean tf32) {
        if (type != DType.FP32 || !tf32) {
            return operand(x, type);
        }
        Tensor copy = copyOf(x);
        PrecisionEmulation.roundTf32(copy);
        return copy;
    }

    /** {@code x} as an op reads it in {@code type}: itself for FP32, else a rounded (FP8: scaled) copy. */
    private Tensor operand(Tensor x, DType type) {
        if (type == DType.FP32) {
            return x;
        }
        Tensor copy = copyOf(x);
        if (MatmulPrecision.isFp8(type)) {
            Fp8DelayedScaling scaling = fp8Scalings.computeIfAbsent(x.data().address() + "/" + type, key -> newFp8Scaling(type));
            scaling.update(PrecisionEmulation.quantizeDequantize(copy, type, scaling.scale()));
        } else {
            PrecisionEmulation.round(copy, type);
        }
        return copy;
    }

    /** A copy of {@code x} in the scratch memory of the current op. */
    private Tensor copyOf(Tensor x) {
        long start = (scratchUsed + 63) & -64L;
        if (start + x.byteSize() > scratch.byteSize()) {
            // The copies made earlier in this op stay valid: the old segment lives until close().
            scratch = scratchArena.allocate(Math.max(2 * scratch.byteSize(), x.byteSize()), 64);
            start = 0;
        }
        scratchUsed = start + x.byteSize();
        Tensor copy = Tensor.host(scratch.asSlice(start, x.byteSize()), DType.FP32, x.shape());
        fp32.copy(copy, x);
        return copy;
    }

    /** The scaling of a tensor cast for the first time: the next restored state if there is one. */
    private Fp8DelayedScaling newFp8Scaling(DType type) {
        Fp8DelayedScaling scaling = Fp8DelayedScaling.of(type);
        if (!pendingFp8.isEmpty()) {
            scaling.restore(pendingFp8.removeFirst());
        }
        return scaling;
    }

    private static long[] range(Tensor t) {
        long start = t.data().address();
        return new long[] {start, start + t.byteSize()};
    }

    private static boolean inside(Tensor t, long[] range) {
        long start = t.data().address();
        return start >= range[0] && start < range[1];
    }
}
