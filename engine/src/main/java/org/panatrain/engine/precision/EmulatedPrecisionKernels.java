// CPU emulation of a PrecisionPolicy around an FP32 host backend: every op runs in FP32 on
// operands rounded as the policy stores them, and its outputs are rounded to their storage dtype,
// so a training step sees the values a BF16/FP16/FP8 GPU step would (up to the order of FP32
// accumulation). It infers what a tensor is from the op sequence a training step has (forward
// from encoderForward, backward from the cross-entropy on) and from the model tensors it is
// bound to; it does not see a graph. Leaves out TF32 (fp32 and tf32 run unchanged) and caching
// of rounded weight copies between the matmuls of a step.
package org.panatrain.engine.precision;

import java.lang.foreign.Arena;
import java.util.ArrayList;
import java.util.HashMap;
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
 * tensor and format, updated with each cast's amax.
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
    private final Map<String, Fp8DelayedScaling> fp8Scalings = new HashMap<>();
    private final List<long[]> gradientRanges = new ArrayList<>();   // [start, end) written in this backward
    private long[] parameterGradients = {0, 0};     // [start, end) of the FP32 parameter gradient block
    private long[] headWeight = {0, 0};             // the output head's weight (tied wte)
    private long[] headGradient = {0, 0};
    private boolean backward;

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

    /** The FP8 scaling state of each operand tensor seen so far, keyed "address/format" (for inspection). */
    public Map<String, Fp8DelayedScaling> fp8Scalings() {
        return fp8Scalings;
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
        try (Arena arena = Arena.ofConfined()) {
            fp32.encoderForward(out, tokens, working(arena, wte), working(arena, wpe));
        }
        stored(out);
    }

    @Override
    public void encoderBackward(Tensor dwte, Tensor dwpe, Tensor dout, Tensor tokens) {
        fp32.encoderBackward(dwte, dwpe, dout, tokens);
    }

    @Override
    public void layerNormForward(Tensor out, Tensor mean, Tensor rstd, Tensor inp, Tensor weight, Tensor bias) {
        try (Arena arena = Arena.ofConfined()) {
            fp32.layerNormForward(out, mean, rstd, inp, working(arena, weight), working(arena, bias));
        }
        stored(out);
    }

    @Override
    public void layerNormBackward(Tensor dinp, Tensor dweight, Tensor dbias, Tensor dout,
                                  Tensor inp, Tensor weight, Tensor mean, Tensor rstd) {
        try (Arena arena = Arena.ofConfined()) {
            fp32.layerNormBackward(dinp, dweight, dbias, dout, inp, working(arena, weight), mean, rstd);
        }
        stored(dinp);
    }

    @Override
    public void matmul(Tensor out, Tensor a, boolean transA, Tensor b, boolean transB, Tensor bias, boolean accumulate) {
        MatmulPass pass = !backward ? MatmulPass.FORWARD
                : inside(out, parameterGradients) ? MatmulPass.WEIGHT_GRADIENT : MatmulPass.INPUT_GRADIENT;
        boolean head = inside(a, headWeight) || inside(b, headWeight) || inside(out, headGradient);
        MatmulPrecision mp = policy.matmul(head ? LayerPosition.OUTPUT_HEAD : LayerPosition.BLOCK, pass);
        try (Arena arena = Arena.ofConfined()) {
            Tensor ra = operand(arena, a, pass == MatmulPass.FORWARD ? mp.a() : backwardOperandType(a, mp));
            Tensor rb = operand(arena, b, pass == MatmulPass.FORWARD ? mp.b() : backwardOperandType(b, mp));
            fp32.matmul(out, ra, transA, rb, transB, bias == null ? null : working(arena, bias), accumulate);
        }
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
    public void attentionForward(Tensor out, Tensor att, Tensor qkv, int numHeads) {
        fp32.attentionForward(out, att, qkv, numHeads);   // att: softmax, FP32
        stored(out);
    }

    @Override
    public void attentionBackward(Tensor dqkv, Tensor scratch, Tensor dout, Tensor qkv, Tensor att, int numHeads) {
        fp32.attentionBackward(dqkv, scratch, dout, qkv, att, numHeads);
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
    private Tensor working(Arena arena, Tensor weight) {
        return operand(arena, weight, policy.storage(TensorRole.WORKING_WEIGHT));
    }

    /** {@code x} as an op reads it in {@code type}: itself for FP32, else a rounded (FP8: scaled) copy. */
    private Tensor operand(Arena arena, Tensor x, DType type) {
        if (type == DType.FP32) {
            return x;
        }
        Tensor copy = Tensor.host(arena.allocate(x.byteSize(), 64), DType.FP32, x.shape());
        fp32.copy(copy, x);
        if (MatmulPrecision.isFp8(type)) {
            Fp8DelayedScaling scaling = fp8Scalings.computeIfAbsent(x.data().address() + "/" + type, key -> Fp8DelayedScaling.of(type));
            scaling.update(PrecisionEmulation.quantizeDequantize(copy, type, scaling.scale()));
        } else {
            PrecisionEmulation.round(copy, type);
        }
        return copy;
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
