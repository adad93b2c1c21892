// Peak rates without a GPU: spec-sheet boards are found by compute capability and SM count,
// others are estimated from the clock, and an unknown architecture says so.
package org.panatrain.kernels.cuda;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

import org.junit.jupiter.api.Test;
import org.panatrain.bindings.DeviceProperties;

class PeakRatesTest {

    private static DeviceProperties device(int major, int minor, int sms, int clockKHz) {
        return new DeviceProperties(0, "test", sms, major, minor, 80L << 30, clockKHz, 0, 0, 0);
    }

    @Test
    void h100SxmComesFromTheSpecSheet() {
        PeakRates.Rates r = PeakRates.of(device(9, 0, 132, 1_980_000));
        assertThat(r.tflops()).containsEntry("bf16", 989.4).containsEntry("tf32", 494.7).containsEntry("fp8", 1978.9);
        assertThat(r.source()).contains("H100");
    }

    @Test
    void v100HasNoBf16() {
        PeakRates.Rates r = PeakRates.of(device(7, 0, 80, 1_530_000));
        assertThat(r.tflops()).containsKey("fp16").doesNotContainKey("bf16").doesNotContainKey("tf32");
    }

    @Test
    void anUnlistedBoardIsEstimatedFromItsClock() {
        // An A100 cut down to 100 SMs at 1.41 GHz: 100 * 1.41e9 * 2048 FLOPs per clock = 288.8 TFLOPS.
        PeakRates.Rates r = PeakRates.of(device(8, 0, 100, 1_410_000));
        assertThat(r.tflops().get("bf16")).isCloseTo(288.768, within(1e-6));
        assertThat(r.source()).startsWith("estimated").contains("1410 MHz");
    }

    @Test
    void anUnknownArchitectureOrClockIsReportedNotGuessed() {
        assertThat(PeakRates.of(device(6, 1, 28, 1_500_000)).tflops()).isEmpty();
        PeakRates.Rates noClock = PeakRates.of(device(8, 0, 100, 0));
        assertThat(noClock.tflops()).isEmpty();
        assertThat(noClock.source()).contains("no clock");
    }
}
