// AdamW with 8-bit moments, as bitsandbytes' block-wise 8-bit Adam (Dettmers et al. 2022,
// "8-bit Optimizers via Block-wise Quantization"): each parameter's m and v are cut into blocks
// of `block` elements; a block stores one FP32 absmax and one byte per element, the index into
// a dynamic quantization map (DynamicQuantization: signed for m, unsigned for v) of value/absmax.
// A step dequantizes a block, does PyTorch's AdamW update in FP32 (as Kernels.adamW:
// m = b1 m + (1-b1) g; v = b2 v + (1-b2) g^2; w -= lr (mhat / (sqrt(vhat) + eps) + wd w)),
// takes the block's new absmax of m and of v, and requantizes to the nearest map entries.
// State: 2 bytes a parameter plus 8 bytes per block (block 256: 2.03 bytes a parameter).
// Unlike bitsandbytes, small tensors are quantized too (it keeps tensors under 4096 elements in
// 32 bits), so that the state is 2 bytes a parameter throughout. Plain Java on host tensors.
package org.panatrain.engine.optim;

import static java.lang.foreign.ValueLayout.JAVA_BYTE;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.SequencedMap;
import org.panatrain.engine.model.Gpt2;
import org.panatrain.engine.model.Parameter;
import org.panatrain.memory.DType;
import org.panatrain.memory.Tensor;

/**
 * AdamW with block-wise 8-bit moments.
 *
 * <pre>{@code
 * try (AdamW8bit opt = new AdamW8bit(model, AdamWConfig.defaults(), AdamW8bit.DEFAULT_BLOCK)) {
 *     opt.step(6e-4f);
 * }
 * }</pre>
 */
public final class AdamW8bit extends OptimizerBase {
    /** Elements per quantization block. */
    public static final int DEFAULT_BLOCK = 256;
    /** bitsandbytes' state names, followed by "." and the parameter name. */
    public static final String CODES_M = "state1";
    public static final String ABSMAX_M = "absmax1";
    public static final String CODES_V = "state2";
    public static final String ABSMAX_V = "absmax2";

    /** One parameter's quantized moments: codes (INT8 holding 0..255) and per-block absmax (FP32). */
    private record State(Tensor codesM, Tensor absmaxM, Tensor codesV, Tensor absmaxV) {
    }

    private final AdamWConfig config;
    private final int block;
    private final List<State> states; // per parameter
    private final float[] newM;       // (block) the updated moments of the block being requantized
    private final float[] newV;       // (block)

    public AdamW8bit(Gpt2 model, AdamWConfig config, int block) {
        super(model);
        requireHost(model, "adamw8bit");
        if (block < 1) {
            throw new IllegalArgumentException("block must be positive, got " + block);
        }
        this.config = config;
        this.block = block;
        List<State> s = new ArrayList<>();
        List<Tensor> codesM = parameterShapedState(DType.INT8);
        List<Tensor> codesV = parameterShapedState(DType.INT8);
        List<Parameter> parameters = model.parameters();
        for (int i = 0; i < parameters.size(); i++) {
            int n = Math.toIntExact(parameters.get(i).value().numel());
            int blocks = (n + block - 1) / block;
            State st = new State(codesM.get(i), state.allocate(DType.FP32, blocks), codesV.get(i),
                    state.allocate(DType.FP32, blocks));
            st.codesM().data().fill((byte) DynamicQuantization.SIGNED.encode(0f)); // v's zero is code 0, as allocated
            s.add(st);
        }
        this.states = List.copyOf(s);
        this.newM = new float[block];
        this.newV = new float[block];
    }

    @Override
    public String name() {
        return "adamw8bit";
    }

    @Override
    public String description() {
        return "AdamW8bit (block-wise 8-bit moments, blocks of " + block + ", dynamic maps) betas " + config.beta1()
                + "/" + config.beta2() + ", eps " + config.eps() + ", weight decay " + config.weightDecay();
    }

    @Override
    public void step(float lr) {
        stepCount++;
        float b1 = config.beta1();
        float b2 = config.beta2();
        float correction1 = (float) (1 - Math.pow(b1, stepCount));
        float correction2 = (float) (1 - Math.pow(b2, stepCount));
        List<Parameter> parameters = model.parameters();
        for (int i = 0; i < parameters.size(); i++) {
            Parameter p = parameters.get(i);
            State s = states.get(i);
            float wd = p.spec().decays() ? config.weightDecay() : 0f;
            long n = p.value().numel();
            for (long start = 0, b = 0; start < n; start += block, b++) {
                int len = (int) Math.min(block, n - start);
                updateBlock(p.value(), p.grad(), s, start, len, b, lr, wd, correction1, correction2);
            }
        }
    }

    private void updateBlock(Tensor w, Tensor g, State s, long start, int len, long b, float lr, float wd,
                             float correction1, float correction2) {
        DynamicQuantization signed = DynamicQuantization.SIGNED;
        DynamicQuantization unsigned = DynamicQuantization.UNSIGNED;
        float b1 = config.beta1();
        float b2 = config.beta2();
        float eps = config.eps();
        float scaleM = s.absmaxM().getFloat(b);
        float scaleV = s.absmaxV().getFloat(b);
        float maxM = 0;
        float maxV = 0;
        for (int j = 0; j < len; j++) {
            long at = start + j;
            float gj = g.getFloat(at);
            float m = b1 * signed.decode(code(s.codesM(), at)) * scaleM + (1f - b1) * gj;
            float v = b2 * unsigned.decode(code(s.codesV(), at)) * scaleV + (1f - b2) * gj * gj;
            float mhat = m / correction1;
            float vhat = v / correction2;
            float wj = w.getFloat(at);
            w.setFloat(at, wj - lr * (mhat / ((float) Math.sqrt(vhat) + eps) + wd * wj));
            newM[j] = m;
            newV[j] = v;
            maxM = Math.max(maxM, Math.abs(m));
            maxV = Math.max(maxV, v);
        }
        s.absmaxM().setFloat(b, maxM);
        s.absmaxV().setFloat(b, maxV);
        for (int j = 0; j < len; j++) {
            long at = start + j;
            s.codesM().data().set(JAVA_BYTE, at,
                    (byte) signed.encode(maxM == 0 ? 0f : newM[j] / maxM));
            s.codesV().data().set(JAVA_BYTE, at,
                    (byte) unsigned.encode(maxV == 0 ? 0f : newV[j] / maxV));
        }
    }

    private static int code(Tensor codes, long at) {
        return codes.data().get(JAVA_BYTE, at) & 0xFF;
    }

    /** Per parameter: state1.NAME (m codes), absmax1.NAME, state2.NAME (v codes), absmax2.NAME. */
    @Override
    public SequencedMap<String, Tensor> stateTensors() {
        SequencedMap<String, Tensor> tensors = new LinkedHashMap<>();
        List<Parameter> parameters = model.parameters();
        for (int i = 0; i < parameters.size(); i++) {
            String name = parameters.get(i).name();
            State s = states.get(i);
            tensors.put(CODES_M + "." + name, s.codesM());
            tensors.put(ABSMAX_M + "." + name, s.absmaxM());
            tensors.put(CODES_V + "." + name, s.codesV());
            tensors.put(ABSMAX_V + "." + name, s.absmaxV());
        }
        return tensors;
    }

    /** Elements per quantization block. */
    public int block() {
        return block;
    }
}
