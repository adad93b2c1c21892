// The schedule against values computed by hand (nanoGPT's get_lr with warmup 10, decay to step 110).
package org.panatrain.engine.optim;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.within;

import org.junit.jupiter.api.Test;

class LrScheduleTest {
    final LrSchedule schedule = new LrSchedule(6e-4f, 6e-5f, 10, 110);

    @Test
    void warmsUpLinearlyFromTheFirstStep() {
        assertThat(schedule.at(0)).isCloseTo(5.4545455e-5f, within(1e-11f));    // 6e-4 * 1/11
        assertThat(schedule.at(4)).isCloseTo(2.7272727e-4f, within(1e-10f));    // 6e-4 * 5/11
        assertThat(schedule.at(9)).isCloseTo(5.4545455e-4f, within(1e-10f));    // 6e-4 * 10/11
    }

    @Test
    void decaysByACosineToMinLr() {
        assertThat(schedule.at(10)).isCloseTo(6e-4f, within(1e-10f));           // cos(0)
        assertThat(schedule.at(35)).isCloseTo(5.2091883e-4f, within(1e-10f));   // 6e-5 + 0.85355339 * 5.4e-4
        assertThat(schedule.at(60)).isCloseTo(3.3e-4f, within(1e-10f));         // half way
        assertThat(schedule.at(85)).isCloseTo(1.3908117e-4f, within(1e-10f));   // 6e-5 + 0.14644661 * 5.4e-4
        assertThat(schedule.at(110)).isEqualTo(6e-5f);
        assertThat(schedule.at(1000)).isEqualTo(6e-5f);
    }

    @Test
    void aConstantScheduleIsConstantAndBadBoundsAreRejected() {
        assertThat(LrSchedule.constant(1e-3f).at(0)).isEqualTo(1e-3f);
        assertThat(LrSchedule.constant(1e-3f).at(500)).isEqualTo(1e-3f);
        assertThatThrownBy(() -> new LrSchedule(1e-4f, 1e-3f, 0, 10)).isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> new LrSchedule(1e-3f, 0f, 20, 10)).isInstanceOf(IllegalArgumentException.class);
    }
}
