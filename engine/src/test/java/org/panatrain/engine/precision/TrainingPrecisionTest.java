// TrainingPrecision as the trainer drives it: the backend each precision gets, fp16's skip of a
// step with an infinite gradient (scale halved, counted, gradients left for the caller to drop),
// no check and no scaling without loss scaling, and its snapshot: restored into a fresh run it
// reads back equal (FP8 states held until their tensors are first cast), and a snapshot of
// another precision is refused with a one-line message.
package org.panatrain.engine.precision;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.List;
import org.junit.jupiter.api.Test;
import org.panatrain.engine.model.Gpt2;
import org.panatrain.engine.model.Gpt2Config;
import org.panatrain.engine.model.Gpt2Step;
import org.panatrain.kernels.Kernels;
import org.panatrain.kernels.cpu.CpuKernels;

class TrainingPrecisionTest {
    static final Gpt2Config TINY = new Gpt2Config(1, 1, 8, 8, 16);
    static final int B = 1;
    static final int T = 8;
    static final int[] INPUTS = {1, 5, 9, 2, 14, 7, 3, 11};    // (B*T)
    static final int[] TARGETS = {5, 9, 2, 14, 7, 3, 11, 0};   // (B*T)

    @Test
    void backendIsThePlainOneForFp32AndTheEmulationOtherwise() {
        try (Kernels cpu = CpuKernels.create(1);
             Kernels bf16 = TrainingPrecision.backend(CpuKernels.create(1), PrecisionPolicy.of(Precision.BF16))) {
            assertThat(TrainingPrecision.backend(cpu, PrecisionPolicy.of(Precision.FP32))).isSameAs(cpu);
            assertThat(bf16).isInstanceOf(EmulatedPrecisionKernels.class);
            assertThat(TrainingPrecision.device(bf16)).isInstanceOf(CpuKernels.class);
            assertThat(TrainingPrecision.device(cpu)).isSameAs(cpu);
        }
    }

    @Test
    void fp16SkipsAStepWithAnInfiniteGradient() {
        PrecisionPolicy policy = PrecisionPolicy.of(Precision.FP16);
        try (Kernels k = TrainingPrecision.backend(CpuKernels.create(1), policy);
             Gpt2 model = Gpt2.create(TINY, k, 3);
             Gpt2Step step = model.newStep(B, T);
             TrainingPrecision precision = new TrainingPrecision(policy, model)) {
            assertThat(precision.lossScale()).isEqualTo(65536f);
            k.fill(model.gradientBlock(), 0f);
            step.forwardBackward(INPUTS, TARGETS, precision.lossScale());
            model.gradientBlock().setFloat(5, Float.POSITIVE_INFINITY);
            assertThat(precision.unscaleGradients()).isFalse();
            precision.endStep(false);
            assertThat(precision.lossScaler()).isEqualTo(new LossScaler.State(32768f, 0, 0, 1));
            assertThat(precision.state().summary()).isEqualTo("fp16: 0 steps applied, 1 skipped (non-finite gradients), loss scale 32768");
        }
    }

    @Test
    void withoutLossScalingGradientsAreNeitherCheckedNorScaled() {
        PrecisionPolicy policy = PrecisionPolicy.of(Precision.BF16);
        try (Kernels k = TrainingPrecision.backend(CpuKernels.create(1), policy);
             Gpt2 model = Gpt2.create(TINY, k, 3);
             TrainingPrecision precision = new TrainingPrecision(policy, model)) {
            k.fill(model.gradientBlock(), 2f);
            model.gradientBlock().setFloat(5, Float.POSITIVE_INFINITY);
            assertThat(precision.lossScale()).isEqualTo(1f);
            assertThat(precision.unscaleGradients()).isTrue();
            assertThat(model.gradientBlock().getFloat(4)).isEqualTo(2f);
            assertThatThrownBy(() -> precision.endStep(false)).isInstanceOf(IllegalStateException.class);
            precision.endStep(true);
            assertThat(precision.state().summary()).isEqualTo("bf16: 1 steps");
        }
    }

    @Test
    void aPlainBackendTrainsOnlyFp32() {
        try (Kernels cpu = CpuKernels.create(1); Gpt2 model = Gpt2.create(TINY, cpu, 3)) {
            assertThatThrownBy(() -> new TrainingPrecision(PrecisionPolicy.of(Precision.FP8), model))
                    .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("--precision fp8");
        }
    }

    @Test
    void fp8SnapshotRestoresIntoAFreshRunAndAnotherPrecisionIsRefused() {
        PrecisionPolicy policy = PrecisionPolicy.of(Precision.FP8);
        PrecisionState saved;
        try (Kernels k = TrainingPrecision.backend(CpuKernels.create(1), policy);
             Gpt2 model = Gpt2.create(TINY, k, 3);
             Gpt2Step step = model.newStep(B, T);
             TrainingPrecision precision = new TrainingPrecision(policy, model)) {
            for (int s = 0; s < 2; s++) {
                k.fill(model.gradientBlock(), 0f);
                step.forwardBackward(INPUTS, TARGETS, precision.lossScale());
                precision.endStep(precision.unscaleGradients());
            }
            saved = precision.state();
        }
        // TINY has one block: forward x and w of 4 matmuls, their gradients in E5M2; some are shared.
        assertThat(saved.fp8()).hasSizeGreaterThan(4);
        assertThat(saved.fp8()).extracting(Fp8DelayedScaling.State::scale).anySatisfy(s -> assertThat(s).isNotEqualTo(1f));
        assertThat(saved.lossScaler().appliedSteps()).isEqualTo(2);
        try (Kernels k = TrainingPrecision.backend(CpuKernels.create(1), policy);
             Gpt2 model = Gpt2.create(TINY, k, 4);
             Gpt2Step step = model.newStep(B, T);
             TrainingPrecision precision = new TrainingPrecision(policy, model)) {
            precision.restore(saved);
            assertThat(precision.state()).isEqualTo(saved);   // held until first cast
            step.forwardBackward(INPUTS, TARGETS, precision.lossScale());
            assertThat(precision.state().fp8()).hasSameSizeAs(saved.fp8());
            assertThatThrownBy(() -> precision.restore(new PrecisionState(Precision.FP8, saved.lossScaler(), List.of())))
                    .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("already cast");
            assertThatThrownBy(() -> precision.restore(PrecisionState.initial(Precision.BF16)))
                    .isInstanceOf(IllegalArgumentException.class)
                    .hasMessage("the checkpoint was trained with --precision bf16, this run uses fp8");
        }
    }
}
