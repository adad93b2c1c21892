// Checks CpuMatmul against a float64 triple loop written here, for every transpose combination,
// with and without bias and accumulation, on odd and aligned sizes and on sizes past the block
// sizes. The build runs this class twice: with the default knobs, and with 256-bit vectors and tiny
// blocks (kernels/pom.xml) so that every edge and multi-block path is taken on small inputs.
package org.panatrain.kernels.cpu;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.within;

import java.util.ArrayList;
import java.util.List;
import java.util.SplittableRandom;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.panatrain.memory.DType;
import org.panatrain.memory.HostArena;
import org.panatrain.memory.Tensor;

class CpuMatmulTest {
    /** FP32 unit roundoff. */
    private static final double U = Math.ulp(1.0f) / 2;

    private static Parallel pool;

    @BeforeAll
    static void startPool() {
        pool = new Parallel(2);
    }

    @AfterAll
    static void stopPool() {
        pool.close();
    }

    /**
     * For each (M, K, N): all 4 transpose combinations x bias or not x accumulate or not. Error bound
     * per element: |got - exact| <= (K + 2) u (sum_p |a_ip b_pj| + |bias_j| + |out0_ij|), u = 2^-24, the
     * first-order bound of a K-term FP32 sum plus the bias and out additions.
     */
    @ParameterizedTest(name = "M={0} K={1} N={2}")
    @CsvSource({
        "1, 1, 1", "1, 7, 33", "7, 1, 5", "33, 7, 1", "4, 0, 9",           // degenerate and odd
        "8, 16, 48", "64, 128, 96",                                        // aligned to the tile
        "17, 33, 97", "33, 1023, 65",                                      // odd, long K
        "200, 300, 70", "5, 40, 3100",                                     // past MC / KC, past NC and N > M
    })
    void matchesFloat64Reference(int m, int k, int n) {
        SplittableRandom rnd = new SplittableRandom(m * 1_000_003L + k * 1009L + n);
        float[] a = random(rnd, m * k);       // (M, K) logical op(a)
        float[] b = random(rnd, k * n);       // (K, N) logical op(b)
        float[] bias = random(rnd, n);        // (N)
        float[] out0 = random(rnd, m * n);    // (M, N) out before an accumulating call
        double[] exact = new double[m * n];   // (M, N) op(a) @ op(b) in float64
        double[] magnitude = new double[m * n];   // (M, N) sum_p |a_ip b_pj|
        for (int i = 0; i < m; i++) {
            for (int j = 0; j < n; j++) {
                double s = 0, abs = 0;
                for (int p = 0; p < k; p++) {
                    double t = (double) a[i * k + p] * b[p * n + j];
                    s += t;
                    abs += Math.abs(t);
                }
                exact[i * n + j] = s;
                magnitude[i * n + j] = abs;
            }
        }
        try (HostArena arena = new HostArena()) {
            for (boolean transA : new boolean[] {false, true}) {
                for (boolean transB : new boolean[] {false, true}) {
                    Tensor ta = transA ? tensor(arena, transpose(a, m, k), k, m) : tensor(arena, a, m, k);
                    Tensor tb = transB ? tensor(arena, transpose(b, k, n), n, k) : tensor(arena, b, k, n);
                    for (boolean withBias : new boolean[] {false, true}) {
                        for (boolean accumulate : new boolean[] {false, true}) {
                            Tensor out = arena.allocate(DType.FP32, m, n);
                            if (accumulate) {
                                out.copyFrom(out0);
                            } else {
                                fillNaN(out);
                            }
                            CpuMatmul.multiply(pool, out, ta, transA, tb, transB,
                                    withBias ? tensor(arena, bias, n) : null, accumulate);
                            String what = "transA=" + transA + " transB=" + transB + " bias=" + withBias
                                    + " accumulate=" + accumulate;
                            float[] got = out.toFloatArray();
                            for (int i = 0; i < m; i++) {
                                for (int j = 0; j < n; j++) {
                                    int o = i * n + j;
                                    double add = (withBias ? bias[j] : 0) + (accumulate ? out0[o] : 0);
                                    double bound = (k + 2) * U * (magnitude[o] + (withBias ? Math.abs(bias[j]) : 0)
                                            + (accumulate ? Math.abs(out0[o]) : 0));
                                    assertThat((double) got[o]).as("%s at (%d, %d)", what, i, j)
                                            .isCloseTo(exact[o] + add, within(bound));
                                }
                            }
                        }
                    }
                }
            }
        }
    }

    @Test
    void sameBitsWhateverTheThreadCount() {
        int m = 301, k = 517, n = 203;
        SplittableRandom rnd = new SplittableRandom(7);
        try (HostArena arena = new HostArena(); Parallel one = new Parallel(1); Parallel three = new Parallel(3)) {
            Tensor a = tensor(arena, random(rnd, m * k), m, k);
            Tensor b = tensor(arena, random(rnd, k * n), n, k);
            Tensor bias = tensor(arena, random(rnd, n), n);
            List<float[]> results = new ArrayList<>();
            for (Parallel p : List.of(one, three, pool)) {
                Tensor out = arena.allocate(DType.FP32, m, n);
                CpuMatmul.multiply(p, out, a, false, b, true, bias, false);
                results.add(out.toFloatArray());
            }
            assertThat(results.get(1)).containsExactly(results.get(0));
            assertThat(results.get(2)).containsExactly(results.get(0));
        }
    }

    @Test
    void knobsAreInEffect() {
        String species = System.getProperty("panatrain.matmul.species");
        if (species != null && !species.equals("preferred")) {
            assertThat(MatmulMicroKernel.SPECIES.vectorBitSize()).isEqualTo(Integer.parseInt(species));
        }
        assertThat(CpuMatmul.KC).isEqualTo(Integer.getInteger("panatrain.matmul.kc", CpuMatmul.KC));
    }

    @Test
    void rejectsShapesThatDoNotAgree() {
        try (HostArena arena = new HostArena()) {
            Tensor out = arena.allocate(DType.FP32, 4, 5);
            Tensor a = arena.allocate(DType.FP32, 4, 3);
            Tensor b = arena.allocate(DType.FP32, 2, 5);
            assertThatThrownBy(() -> CpuMatmul.multiply(pool, out, a, false, b, false, null, false))
                    .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("b");
            Tensor badBias = arena.allocate(DType.FP32, 4);
            Tensor goodB = arena.allocate(DType.FP32, 3, 5);
            assertThatThrownBy(() -> CpuMatmul.multiply(pool, out, a, false, goodB, false, badBias, false))
                    .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("bias");
        }
    }

    private static float[] random(SplittableRandom rnd, int count) {
        float[] x = new float[count];
        for (int i = 0; i < count; i++) {
            x[i] = (float) (rnd.nextDouble() * 2 - 1);
        }
        return x;
    }

    private static float[] transpose(float[] x, int rows, int cols) {
        float[] t = new float[x.length];
        for (int r = 0; r < rows; r++) {
            for (int c = 0; c < cols; c++) {
                t[c * rows + r] = x[r * cols + c];
            }
        }
        return t;
    }

    private static Tensor tensor(HostArena arena, float[] values, int... shape) {
        Tensor t = arena.allocate(DType.FP32, shape);
        t.copyFrom(values);
        return t;
    }

    private static void fillNaN(Tensor t) {
        for (long i = 0; i < t.numel(); i++) {
            t.setFloat(i, Float.NaN);
        }
    }
}
