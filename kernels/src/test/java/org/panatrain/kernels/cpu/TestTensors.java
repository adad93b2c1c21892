// Test support for the CPU kernel tests: host tensors from arrays, seeded random data, NaN
// poisoning, and the fp32-vs-reference closeness check. Leaves out any reference math.
package org.panatrain.kernels.cpu;

import static org.assertj.core.api.Assertions.fail;

import java.util.Arrays;
import java.util.SplittableRandom;
import org.panatrain.memory.DType;
import org.panatrain.memory.HostArena;
import org.panatrain.memory.Tensor;

/** Tensors in one arena, closed with it. */
final class TestTensors implements AutoCloseable {
    /** Relative tolerance of fp32 results against float64 math. */
    static final double RTOL = 1e-5;
    /** Absolute floor, as a fraction of the largest reference magnitude, for elements near zero. */
    static final double FLOOR = 1e-6;

    private final HostArena arena = new HostArena();
    final SplittableRandom random;

    TestTensors(long seed) {
        random = new SplittableRandom(seed);
    }

    Tensor of(float[] values, int... shape) {
        Tensor t = arena.allocate(DType.FP32, shape);
        t.copyFrom(values);
        return t;
    }

    Tensor ints(int[] values, int... shape) {
        Tensor t = arena.allocate(DType.INT32, shape);
        for (int i = 0; i < values.length; i++) {
            t.setInt(i, values[i]);
        }
        return t;
    }

    /** Uniform in [-scale, scale). */
    float[] uniform(int n, double scale) {
        float[] a = new float[n];
        for (int i = 0; i < n; i++) {
            a[i] = (float) ((random.nextDouble() * 2 - 1) * scale);
        }
        return a;
    }

    Tensor random(double scale, int... shape) {
        return of(uniform(Math.toIntExact(Tensor.numel(shape)), scale), shape);
    }

    /** A tensor whose every element is NaN: an op that overwrites must replace all of them. */
    Tensor poisoned(int... shape) {
        float[] a = new float[Math.toIntExact(Tensor.numel(shape))];
        Arrays.fill(a, Float.NaN);
        return of(a, shape);
    }

    int[] tokens(int n, int limit) {
        int[] a = new int[n];
        for (int i = 0; i < n; i++) {
            a[i] = random.nextInt(limit);
        }
        return a;
    }

    static double[] toDouble(float[] a) {
        double[] d = new double[a.length];
        for (int i = 0; i < a.length; i++) {
            d[i] = a[i];
        }
        return d;
    }

    /** |got - want| <= RTOL |want| + FLOOR max|want| for every element, else fails naming the first bad one. */
    static void assertClose(String what, double[] want, float[] got) {
        assertClose(what, want, got, RTOL);
    }

    static void assertClose(String what, double[] want, float[] got, double rtol) {
        if (want.length != got.length) {
            fail(what + ": " + got.length + " values, expected " + want.length);
        }
        double maxAbs = 0;
        for (double w : want) {
            maxAbs = Math.max(maxAbs, Math.abs(w));
        }
        for (int i = 0; i < want.length; i++) {
            double err = Math.abs(got[i] - want[i]);
            if (!(err <= rtol * Math.abs(want[i]) + FLOOR * maxAbs)) {
                fail(String.format("%s[%d]: got %s, expected %s (relative error %.3g)", what, i, got[i], want[i],
                        err / Math.abs(want[i])));
            }
        }
    }

    static void assertClose(String what, float[] want, float[] got, double rtol) {
        assertClose(what, toDouble(want), got, rtol);
    }

    @Override
    public void close() {
        arena.close();
    }
}
