// FP8 delayed scaling against scales computed by hand from a short amax history (zero, NaN and
// a value leaving the window included), the FP8 maxima against DType's decoded codes, and the
// checkpoint state round trip.
package org.panatrain.engine.precision;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import org.junit.jupiter.api.Test;
import org.panatrain.memory.DType;

class Fp8DelayedScalingTest {

    @Test
    void scaleFollowsMaxOfHistoryOfThree() {
        Fp8DelayedScaling s = new Fp8DelayedScaling(DType.FP8_E4M3, 3, 0);
        assertThat(s.scale()).isEqualTo(1f);
        s.update(1f);                   // window {1, 0, 0}: 448 / 1
        assertThat(s.scale()).isEqualTo(448f);
        s.update(4f);                   // {1, 4, 0}: 448 / 4
        assertThat(s.scale()).isEqualTo(112f);
        s.update(0f);                   // {1, 4, 0}: still 4
        assertThat(s.scale()).isEqualTo(112f);
        s.update(Float.NaN);            // {4, 0, NaN}: non-finite, keep 112
        assertThat(s.scale()).isEqualTo(112f);
        s.update(2f);                   // {0, NaN, 2}: non-finite, keep 112
        assertThat(s.scale()).isEqualTo(112f);
        s.update(3f);                   // {NaN, 2, 3}: keep 112
        assertThat(s.scale()).isEqualTo(112f);
        s.update(1f);                   // {2, 3, 1}: 448 / 3
        assertThat(s.scale()).isEqualTo(448f / 3f);
        s.update(0.5f);                 // {3, 1, 0.5}
        s.update(0.25f);                // {1, 0.5, 0.25}: 448 / 1
        assertThat(s.scale()).isEqualTo(448f);
        assertThat(s.scaleInverse()).isEqualTo(1f / 448f);
    }

    @Test
    void zeroAndInfiniteAmaxKeepTheInitialScale() {
        Fp8DelayedScaling s = new Fp8DelayedScaling(DType.FP8_E5M2, 2, 0);
        s.update(0f);                   // {0, 0}
        assertThat(s.scale()).isEqualTo(1f);
        s.update(Float.POSITIVE_INFINITY);
        assertThat(s.scale()).isEqualTo(1f);
        s.update(8f);                   // {inf, 8}: keep
        assertThat(s.scale()).isEqualTo(1f);
        s.update(8f);                   // {8, 8}: 57344 / 8
        assertThat(s.scale()).isEqualTo(7168f);
        s.update(1e-40f);               // {8, 1e-40}: the max is 8
        assertThat(s.scale()).isEqualTo(7168f);
        s.update(1e-40f);               // {1e-40, 1e-40}: 57344 / 1e-40 overflows, keep
        assertThat(s.scale()).isEqualTo(7168f);
    }

    @Test
    void marginDividesByAPowerOfTwo() {
        Fp8DelayedScaling s = new Fp8DelayedScaling(DType.FP8_E4M3, 4, 2);
        s.update(7f);                   // 448 / 7 / 4
        assertThat(s.scale()).isEqualTo(16f);
    }

    @Test
    void defaultsAndMaximaMatchTheFormats() {
        Fp8DelayedScaling s = Fp8DelayedScaling.of(DType.FP8_E4M3);
        assertThat(s.state().amaxHistory()).hasSize(1024);
        // Largest finite codes: E4M3 S.1111.110, E5M2 S.11110.11.
        assertThat(Fp8DelayedScaling.fp8Max(DType.FP8_E4M3)).isEqualTo(DType.FP8_E4M3.decode(0x7E));
        assertThat(Fp8DelayedScaling.fp8Max(DType.FP8_E5M2)).isEqualTo(DType.FP8_E5M2.decode(0x7B));
        assertThatThrownBy(() -> Fp8DelayedScaling.of(DType.BF16)).isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> new Fp8DelayedScaling(DType.FP8_E4M3, 0, 0)).isInstanceOf(IllegalArgumentException.class);
    }

    @Test
    void stateRoundTrips() {
        Fp8DelayedScaling a = new Fp8DelayedScaling(DType.FP8_E4M3, 3, 0);
        a.update(4f);
        a.update(2f);
        Fp8DelayedScaling b = new Fp8DelayedScaling(DType.FP8_E4M3, 3, 0);
        b.restore(a.state());
        assertThat(b.scale()).isEqualTo(112f);
        a.update(1f);
        b.update(1f);
        a.update(1f);                   // {2, 1, 1} once 4 has left: 448 / 2
        b.update(1f);
        assertThat(b.scale()).isEqualTo(a.scale()).isEqualTo(224f);
        assertThat(b.state().amaxHistory()).containsExactly(a.state().amaxHistory());
        assertThatThrownBy(() -> new Fp8DelayedScaling(DType.FP8_E4M3, 4, 0).restore(a.state()))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("history length 4");
    }
}
