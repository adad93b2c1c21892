// Dense (no sparsity) peak TFLOPS per precision of NVIDIA GPUs, for MFU and for `panatrain info`.
// Known boards come from NVIDIA's spec sheets, matched by compute capability and SM count;
// other boards of a known architecture are estimated from per-SM, per-clock rates and the clock
// the driver reports. It leaves out sparsity, FP4/FP6 and clock throttling.
package org.panatrain.kernels.cuda;

import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.panatrain.bindings.DeviceProperties;

/**
 * Peak rates of a device.
 *
 * <pre>{@code
 * PeakRates.Rates r = PeakRates.of(DeviceProperties.of(0));
 * double mfu = achievedTflops / r.tflops().get("bf16");
 * }</pre>
 */
public final class PeakRates {

    /**
     * Peak dense TFLOPS by precision ("fp32", "tf32", "bf16", "fp16", "fp8"; absent = no tensor
     * core support), and where the numbers come from.
     */
    public record Rates(Map<String, Double> tflops, String source) {
        public Rates {
            tflops = java.util.Collections.unmodifiableMap(new LinkedHashMap<>(tflops));
        }
    }

    private record Board(int major, int minor, int sms, String name, double fp32, double tf32, double bf16,
                         double fp16, double fp8) {
    }

    // Spec-sheet dense TFLOPS; 0 = not supported.  cc, SMs, name, fp32, tf32, bf16, fp16, fp8.
    private static final List<Board> BOARDS = List.of(
            new Board(7, 0, 80, "V100 SXM2", 15.7, 0, 0, 125, 0),
            new Board(7, 5, 40, "T4", 8.1, 0, 0, 65, 0),
            new Board(8, 0, 108, "A100", 19.5, 156, 312, 312, 0),
            new Board(8, 6, 72, "A10", 31.2, 62.5, 125, 125, 0),
            new Board(8, 9, 58, "L4", 30.3, 60, 121, 121, 242),
            new Board(8, 9, 142, "L40S", 91.6, 183, 362, 362, 733),
            new Board(9, 0, 114, "H100 PCIe", 51, 378, 756, 756, 1513),
            new Board(9, 0, 132, "H100/H200 SXM", 67, 494.7, 989.4, 989.4, 1978.9),
            new Board(10, 0, 148, "B200", 80, 1100, 2250, 2250, 4500));

    private PeakRates() {
    }

    /** The rates of {@code device}: from the table, else estimated, else empty with the reason. */
    public static Rates of(DeviceProperties device) {
        for (Board b : BOARDS) {
            if (b.major == device.ccMajor() && b.minor == device.ccMinor() && b.sms == device.smCount()) {
                return new Rates(rates(b.fp32, b.tf32, b.bf16, b.fp16, b.fp8), "spec sheet of " + b.name);
            }
        }
        double[] perSmPerClock = flopsPerSmPerClock(device.ccMajor(), device.ccMinor());
        if (perSmPerClock == null || device.clockKHz() <= 0) {
            return new Rates(Map.of(), "unknown: no table entry for sm_" + device.ccMajor() + device.ccMinor()
                    + " with " + device.smCount() + " SMs" + (device.clockKHz() <= 0 ? " and no clock reported" : ""));
        }
        double scale = device.smCount() * (device.clockKHz() * 1e3) / 1e12;
        return new Rates(rates(perSmPerClock[0] * scale, perSmPerClock[1] * scale, perSmPerClock[2] * scale,
                perSmPerClock[3] * scale, perSmPerClock[4] * scale),
                "estimated from sm_" + device.ccMajor() + device.ccMinor() + " per-SM rates at " + device.clockKHz() / 1000 + " MHz");
    }

    /** Dense FLOPs per SM per clock: fp32 (CUDA cores), tf32, bf16, fp16, fp8 (tensor cores). */
    private static double[] flopsPerSmPerClock(int major, int minor) {
        return switch (major * 10 + minor) {
            case 70, 72 -> new double[] {128, 0, 0, 1024, 0};
            case 75 -> new double[] {128, 0, 0, 1024, 0};
            case 80, 87 -> new double[] {128, 1024, 2048, 2048, 0};
            case 86 -> new double[] {256, 512, 1024, 1024, 0};
            case 89 -> new double[] {256, 512, 1024, 1024, 2048};
            case 90 -> new double[] {256, 2048, 4096, 4096, 8192};
            case 100 -> new double[] {256, 4096, 8192, 8192, 16384};
            default -> null;
        };
    }

    private static Map<String, Double> rates(double fp32, double tf32, double bf16, double fp16, double fp8) {
        Map<String, Double> m = new LinkedHashMap<>();
        put(m, "fp32", fp32);
        put(m, "tf32", tf32);
        put(m, "bf16", bf16);
        put(m, "fp16", fp16);
        put(m, "fp8", fp8);
        return m;
    }

    private static void put(Map<String, Double> m, String k, double v) {
        if (v > 0) {
            m.put(k, v);
        }
    }
}
