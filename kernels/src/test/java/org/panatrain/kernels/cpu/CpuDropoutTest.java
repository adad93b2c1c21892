// Dropout on the CPU against float64 math on the mask of the pure Philox.keep: the elementwise op
// (kept values scaled by 1/(1-p), the backward as the same call accumulating, p = 0 an exact copy)
// and attention with dropout on the probabilities (causal softmax attention in double written
// here, forward and backward), a finite-difference check of that backward, and p = 0 giving the
// bits of the call without dropout. Leaves out the keep fraction's statistics (PhiloxTest).
package org.panatrain.kernels.cpu;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.offset;
import static org.panatrain.kernels.cpu.TestTensors.assertClose;
import static org.panatrain.kernels.cpu.TestTensors.toDouble;

import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.panatrain.kernels.Philox;
import org.panatrain.memory.Tensor;

class CpuDropoutTest {
    private static final double RTOL = 1e-6;   // one FP32 product
    private static CpuKernels k;

    @BeforeAll
    static void open() {
        k = CpuKernels.create(2);
    }

    @AfterAll
    static void close() {
        k.close();
    }

    @ParameterizedTest
    @CsvSource({"7, 0.5", "4097, 0.1", "70001, 0.25", "70001, 0.9"})
    void elementwiseScalesKeptValuesAndTheBackwardReusesTheMask(int n, float p) {
        long seed = 0x5eed + n;
        try (TestTensors tt = new TestTensors(n)) {
            float[] x = tt.uniform(n, 2), d0 = tt.uniform(n, 1);
            Tensor out = tt.poisoned(n);
            k.dropout(out, tt.of(x, n), p, seed, false);
            double[] want = new double[n];
            double[] wantAcc = toDouble(d0);
            long threshold = Philox.threshold(p);
            for (int i = 0; i < n; i++) {
                boolean keep = Philox.keep(seed, i, threshold);
                want[i] = keep ? x[i] / (1.0 - p) : 0;
                wantAcc[i] += want[i];
            }
            assertClose("dropout", want, out.toFloatArray(), RTOL);
            Tensor acc = tt.of(d0, n);
            k.dropout(acc, tt.of(x, n), p, seed, true);   // the backward: dinp += dropout(dout)
            assertClose("dropout accumulated", wantAcc, acc.toFloatArray(), RTOL);
            Tensor inPlace = tt.of(x, n);
            k.dropout(inPlace, inPlace, p, seed, false);
            assertThat(inPlace.toFloatArray()).containsExactly(out.toFloatArray());
        }
    }

    @Test
    void zeroProbabilityCopiesAndOtherSeedsDrawOtherMasks() {
        int n = 10_000;
        try (TestTensors tt = new TestTensors(3)) {
            float[] x = tt.uniform(n, 5);
            Tensor out = tt.poisoned(n);
            k.dropout(out, tt.of(x, n), 0f, 77, false);
            assertThat(out.toFloatArray()).containsExactly(x);
            Tensor a = tt.poisoned(n), b = tt.poisoned(n);
            k.dropout(a, tt.of(x, n), 0.5f, 1, false);
            k.dropout(b, tt.of(x, n), 0.5f, 2, false);
            assertThat(a.toFloatArray()).isNotEqualTo(b.toFloatArray());
            assertThatThrownBy(() -> k.dropout(out, out, 1f, 0, false)).isInstanceOf(IllegalArgumentException.class);
        }
    }

    // ---- attention ---------------------------------------------------------------------------

    @ParameterizedTest
    @CsvSource({"1, 1, 1, 7, 0.5", "2, 5, 3, 15, 0.2", "1, 17, 2, 14, 0.3", "2, 40, 2, 128, 0.1"})
    void attentionWithDropoutMatchesFloat64(int B, int T, int NH, int C, float p) {
        long seed = 4242 + T;
        try (TestTensors tt = new TestTensors(B * T * NH + C)) {
            float[] qkv = tt.uniform(B * T * 3 * C, 2), dout = tt.uniform(B * T * C, 1), dqkv0 = tt.uniform(B * T * 3 * C, 1);
            Tensor out = tt.poisoned(B, T, C), att = tt.poisoned(B, NH, T, T), scratch = tt.poisoned(B, NH, T, T);
            Tensor tq = tt.of(qkv, B, T, 3 * C), dqkv = tt.of(dqkv0, B, T, 3 * C);
            k.attentionForward(out, att, tq, NH, p, seed);
            k.attentionBackward(dqkv, scratch, tt.of(dout, B, T, C), tq, att, NH, p, seed);
            AttentionReference.Result r = AttentionReference.of(qkv, dout, dqkv0, B, T, NH, C, p, seed);
            assertClose("attention out", r.out(), out.toFloatArray());
            assertClose("attention att (before dropout)", r.att(), att.toFloatArray());
            assertClose("attention dqkv", r.dqkv(), dqkv.toFloatArray());
        }
    }

    @Test
    void attentionWithZeroDropoutIsTheCallWithout() {
        int B = 2, T = 21, NH = 2, C = 16;
        try (TestTensors tt = new TestTensors(9)) {
            Tensor tq = tt.random(2, B, T, 3 * C), dout = tt.random(1, B, T, C);
            float[] dqkv0 = tt.uniform(B * T * 3 * C, 1);
            Tensor[] plain = attention(tt, tq, dout, dqkv0, NH, Float.NaN);
            Tensor[] zero = attention(tt, tq, dout, dqkv0, NH, 0f);
            for (int i = 0; i < plain.length; i++) {
                assertThat(zero[i].toFloatArray()).containsExactly(plain[i].toFloatArray());
            }
        }
    }

    /** out, att, dqkv of a forward and backward; p NaN: the calls without a dropout argument. */
    private static Tensor[] attention(TestTensors tt, Tensor qkv, Tensor dout, float[] dqkv0, int NH, float p) {
        int B = qkv.dim(0), T = qkv.dim(1), C = qkv.dim(2) / 3;
        Tensor out = tt.poisoned(B, T, C), att = tt.poisoned(B, NH, T, T), scratch = tt.poisoned(B, NH, T, T);
        Tensor dqkv = tt.of(dqkv0, B, T, 3 * C);
        if (Float.isNaN(p)) {
            k.attentionForward(out, att, qkv, NH);
            k.attentionBackward(dqkv, scratch, dout, qkv, att, NH);
        } else {
            k.attentionForward(out, att, qkv, NH, p, 123);
            k.attentionBackward(dqkv, scratch, dout, qkv, att, NH, p, 123);
        }
        return new Tensor[] {out, att, dqkv};
    }

    @Test
    void attentionBackwardWithDropoutMatchesFiniteDifferences() {
        int B = 1, T = 6, NH = 2, C = 8;
        float p = 0.4f;
        long seed = 31;
        try (TestTensors tt = new TestTensors(5)) {
            float[] qkv = tt.uniform(B * T * 3 * C, 1), w = tt.uniform(B * T * C, 1);
            Tensor dqkv = tt.of(new float[B * T * 3 * C], B, T, 3 * C);
            Tensor tq = tt.of(qkv, B, T, 3 * C), out = tt.poisoned(B, T, C), att = tt.poisoned(B, NH, T, T);
            k.attentionForward(out, att, tq, NH, p, seed);
            k.attentionBackward(dqkv, tt.poisoned(B, NH, T, T), tt.of(w, B, T, C), tq, att, NH, p, seed);
            float[] grad = dqkv.toFloatArray();
            double eps = 1e-3;
            for (int i = 0; i < qkv.length; i++) {
                // L = sum(out * w) from the float64 reference forward: a central difference in double
                float[] up = qkv.clone(), down = qkv.clone();
                up[i] += (float) eps;
                down[i] -= (float) eps;
                double h = (double) up[i] - down[i];
                double numeric = (weighted(AttentionReference.of(up, w, null, B, T, NH, C, p, seed).out(), w)
                        - weighted(AttentionReference.of(down, w, null, B, T, NH, C, p, seed).out(), w)) / h;
                assertThat(grad[i]).as("dL/dqkv[%d]", i).isCloseTo((float) numeric, offset((float) (1e-4 + 1e-3 * Math.abs(numeric))));
            }
        }
    }

    private static double weighted(double[] out, float[] w) {
        double s = 0;
        for (int i = 0; i < out.length; i++) {
            s += out[i] * w[i];
        }
        return s;
    }

}
