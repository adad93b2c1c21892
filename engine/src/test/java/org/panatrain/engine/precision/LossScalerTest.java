// Dynamic loss scaling: GradScaler's update rule with hand-written expected scales, and on a tiny
// GPT-2 that a step with an injected +Inf gradient leaves parameters and AdamW moments bit-for-bit
// unchanged and halves the scale, while a clean step's unscaled gradients equal an unscaled backward.
package org.panatrain.engine.precision;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.panatrain.engine.model.CpuBackend;
import org.panatrain.engine.model.Gpt2;
import org.panatrain.engine.model.Gpt2Config;
import org.panatrain.engine.model.Gpt2Step;
import org.panatrain.engine.optim.AdamW;
import org.panatrain.engine.optim.AdamWConfig;
import org.panatrain.memory.Tensor;

class LossScalerTest {
    static final Gpt2Config TINY = new Gpt2Config(1, 1, 8, 8, 16);
    static final int B = 1;
    static final int T = 8;
    static final int[] INPUTS = {1, 5, 9, 2, 14, 7, 3, 11};    // (B*T)
    static final int[] TARGETS = {5, 9, 2, 14, 7, 3, 11, 0};   // (B*T)
    @RegisterExtension
    static final CpuBackend CPU = new CpuBackend(1);

    @Test
    void defaultsAreGradScalers() {
        assertThat(LossScaler.Config.defaults()).isEqualTo(new LossScaler.Config(65536f, 2f, 0.5f, 2000));
    }

    @Test
    void growsAfterIntervalAndBacksOffOnNonFinite() {
        LossScaler scaler = new LossScaler(new LossScaler.Config(8f, 2f, 0.5f, 3));
        assertThat(scaler.update(true)).isTrue();
        assertThat(scaler.update(true)).isTrue();
        assertThat(scaler.scale()).isEqualTo(8f);
        scaler.update(true);
        assertThat(scaler.scale()).isEqualTo(16f);
        scaler.update(true);
        assertThat(scaler.update(false)).isFalse();       // a skip also resets the clean-step count
        assertThat(scaler.scale()).isEqualTo(8f);
        scaler.update(true);
        scaler.update(true);
        assertThat(scaler.scale()).isEqualTo(8f);
        scaler.update(true);
        assertThat(scaler.scale()).isEqualTo(16f);
        assertThat(scaler.state()).isEqualTo(new LossScaler.State(16f, 0, 7, 1));
        assertThat(scaler.inverseScale()).isEqualTo(0.0625f);
    }

    @Test
    void defaultGrowthComesAfter2000CleanSteps() {
        LossScaler scaler = new LossScaler(LossScaler.Config.defaults());
        for (int i = 0; i < 1999; i++) {
            scaler.update(true);
        }
        assertThat(scaler.scale()).isEqualTo(65536f);
        scaler.update(true);
        assertThat(scaler.scale()).isEqualTo(131072f);
        assertThat(scaler.state().growthTracker()).isZero();
    }

    @Test
    void growthThatWouldOverflowKeepsTheScale() {
        float top = Math.scalb(1f, 127);
        LossScaler scaler = new LossScaler(new LossScaler.Config(top, 2f, 0.5f, 1));
        scaler.update(true);
        assertThat(scaler.scale()).isEqualTo(top);
    }

    @Test
    void stateRoundTripsAndBadStateIsRefused() {
        LossScaler.Config config = new LossScaler.Config(1024f, 2f, 0.5f, 4);
        LossScaler a = new LossScaler(config);
        a.update(true);
        a.update(false);
        a.update(true);
        LossScaler b = new LossScaler(config);
        b.restore(a.state());
        for (LossScaler s : List.of(a, b)) {
            s.update(true);
            s.update(true);
            s.update(true);
        }
        assertThat(b.state()).isEqualTo(a.state()).isEqualTo(new LossScaler.State(1024f, 0, 5, 1));
        assertThatThrownBy(() -> b.restore(new LossScaler.State(1f, 4, 0, 0)))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("loss scale");
    }

    @Test
    void infiniteGradientSkipsTheStepBitForBitAndHalvesTheScale() {
        try (Gpt2 model = Gpt2.create(TINY, CPU.kernels(), 11);
             AdamW opt = new AdamW(model, AdamWConfig.defaults());
             Gpt2Step step = model.newStep(B, T);
             GradientUnscaler unscaler = new GradientUnscaler(CPU.kernels())) {
            LossScaler scaler = new LossScaler(LossScaler.Config.defaults());
            assertThat(trainStep(model, opt, step, scaler, unscaler, false)).isTrue();   // m, v now non-zero
            int[] before = optimizerBits(model, opt);
            assertThat(trainStep(model, opt, step, scaler, unscaler, true)).isFalse();
            assertThat(optimizerBits(model, opt)).isEqualTo(before);
            assertThat(scaler.scale()).isEqualTo(32768f);
            assertThat(scaler.state()).isEqualTo(new LossScaler.State(32768f, 0, 1, 1));
            assertThat(opt.stepCount()).isEqualTo(1);
            assertThat(trainStep(model, opt, step, scaler, unscaler, false)).isTrue();   // and training goes on
            assertThat(optimizerBits(model, opt)).isNotEqualTo(before);
        }
    }

    @Test
    void unscaledGradientsEqualAnUnscaledBackward() {
        // Scaling the loss by a power of two scales every gradient exactly (no overflow or
        // underflow at this size), so unscaling must give the unscaled backward's bits.
        try (Gpt2 model = Gpt2.create(TINY, CPU.kernels(), 12);
             AdamW opt = new AdamW(model, AdamWConfig.defaults());
             Gpt2Step step = model.newStep(B, T);
             GradientUnscaler unscaler = new GradientUnscaler(CPU.kernels())) {
            Tensor grads = model.gradientBlock();
            opt.zeroGrad();
            step.forwardBackward(INPUTS, TARGETS, 1f);
            float[] plain = grads.toFloatArray();
            LossScaler scaler = new LossScaler(LossScaler.Config.defaults());
            opt.zeroGrad();
            step.forwardBackward(INPUTS, TARGETS, scaler.scale());
            assertThat(grads.getFloat(0)).isNotEqualTo(plain[0]);
            assertThat(unscaler.unscale(List.of(grads), scaler)).isTrue();
            assertThat(bits(grads.toFloatArray())).isEqualTo(bits(plain));
        }
    }

    /** One fp16-style step as a training loop runs it; {@code injectInf} sets a gradient element to +Inf. */
    private static boolean trainStep(Gpt2 model, AdamW opt, Gpt2Step step, LossScaler scaler,
                                     GradientUnscaler unscaler, boolean injectInf) {
        opt.zeroGrad();
        step.forwardBackward(INPUTS, TARGETS, scaler.scale());
        if (injectInf) {
            model.gradientBlock().setFloat(17, Float.POSITIVE_INFINITY);
        }
        boolean finite = unscaler.unscale(List.of(model.gradientBlock()), scaler);
        if (finite) {
            opt.clipGradNorm(1f);
            opt.step(1e-2f);
        }
        return scaler.update(finite);
    }

    /** The bits of every parameter in table order, then of the optimizer's moments. */
    private static int[] optimizerBits(Gpt2 model, AdamW opt) {
        int total = 3 * Math.toIntExact(model.parameterCount());
        int[] out = new int[total];
        int at = 0;
        List<Tensor> tensors = new ArrayList<>();
        model.parameters().forEach(p -> tensors.add(p.value()));
        tensors.addAll(opt.stateTensors().values());
        for (Tensor t : tensors) {
            int[] b = bits(t.toFloatArray());
            System.arraycopy(b, 0, out, at, b.length);
            at += b.length;
        }
        return out;
    }

    private static int[] bits(float[] values) {
        int[] out = new int[values.length];
        for (int i = 0; i < values.length; i++) {
            out[i] = Float.floatToRawIntBits(values[i]);
        }
        return out;
    }
}
