// Every CPU op against float64 math written here from the op's definition, on random inputs of
// several sizes (odd ones included), outputs poisoned with NaN where the op overwrites and
// pre-filled with random values where it accumulates; plus determinism across thread counts and
// argument validation. Leaves out matmul numerics (CpuMatmul's own tests) and PyTorch data
// (CpuKernelsPyTorchTest).
package org.panatrain.kernels.cpu;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.panatrain.kernels.cpu.TestTensors.assertClose;
import static org.panatrain.kernels.cpu.TestTensors.toDouble;

import java.util.Arrays;
import java.util.List;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.panatrain.kernels.AdamWStep;
import org.panatrain.memory.DType;
import org.panatrain.memory.HostArena;
import org.panatrain.memory.Tensor;

class CpuKernelsTest {
    private static CpuKernels k;

    @BeforeAll
    static void open() {
        k = CpuKernels.create(2);
    }

    @AfterAll
    static void close() {
        k.close();
    }

    // ---- memory and pointwise ---------------------------------------------------------------

    @ParameterizedTest
    @CsvSource({"1", "7", "33", "1000", "70001"})
    void elementwiseOps(int n) {
        try (TestTensors tt = new TestTensors(n)) {
            float[] a = tt.uniform(n, 2), b = tt.uniform(n, 2);
            Tensor ta = tt.of(a, n), tb = tt.of(b, n);

            Tensor out = tt.poisoned(n);
            k.add(out, ta, tb);
            double[] sum = new double[n];
            for (int i = 0; i < n; i++) {
                sum[i] = (double) a[i] + b[i];
            }
            assertClose("add", sum, out.toFloatArray());

            k.accumulate(tb, ta);
            assertClose("accumulate", sum, tb.toFloatArray());

            k.scale(ta, -0.375f);
            double[] scaled = new double[n];
            for (int i = 0; i < n; i++) {
                scaled[i] = a[i] * -0.375;
            }
            assertClose("scale", scaled, ta.toFloatArray());

            Tensor copy = tt.poisoned(n);
            k.copy(copy, ta);
            assertThat(copy.toFloatArray()).isEqualTo(ta.toFloatArray());

            k.fill(copy, 2.5f);
            float[] filled = new float[n];
            Arrays.fill(filled, 2.5f);
            assertThat(copy.toFloatArray()).isEqualTo(filled);
        }
    }

    @ParameterizedTest
    @CsvSource({"1", "17", "1000", "70001"})
    void gelu(int n) {
        try (TestTensors tt = new TestTensors(n + 1)) {
            float[] x = tt.uniform(n, 8), dout = tt.uniform(n, 1), dinp0 = tt.uniform(n, 1);
            Tensor out = tt.poisoned(n), dinp = tt.of(dinp0, n);
            k.geluForward(out, tt.of(x, n));
            k.geluBackward(dinp, tt.of(x, n), tt.of(dout, n));
            double[] want = new double[n], wantGrad = new double[n];
            double a = Math.sqrt(2 / Math.PI);
            for (int i = 0; i < n; i++) {
                double xi = x[i], u = a * (xi + 0.044715 * xi * xi * xi), th = Math.tanh(u);
                want[i] = 0.5 * xi * (1 + th);
                double du = a * (1 + 3 * 0.044715 * xi * xi);
                wantGrad[i] = dinp0[i] + dout[i] * (0.5 * (1 + th) + 0.5 * xi * (1 - th * th) * du);
            }
            assertClose("gelu", want, out.toFloatArray());
            assertClose("gelu dinp", wantGrad, dinp.toFloatArray());
        }
    }

    @Test
    void copiesIntegersAndTransfersHostTensors() {
        try (TestTensors tt = new TestTensors(3)) {
            int[] ids = tt.tokens(70_001, 1000);
            Tensor src = tt.ints(ids, 70_001), dst = tt.ints(new int[70_001], 70_001);
            k.copy(dst, src);
            for (int i = 0; i < ids.length; i++) {
                assertThat(dst.getInt(i)).isEqualTo(ids[i]);
            }
            float[] values = tt.uniform(33, 1);
            Tensor up = tt.poisoned(33), down = tt.poisoned(3, 11);
            k.upload(up, tt.of(values, 33));
            k.download(down, up);
            assertThat(down.toFloatArray()).containsExactly(values);
        }
    }

    // ---- embedding ---------------------------------------------------------------------------

    @ParameterizedTest
    @CsvSource({"1, 1, 7, 11", "2, 5, 33, 11", "3, 17, 64, 50"})
    void encoder(int B, int T, int C, int V) {
        try (TestTensors tt = new TestTensors(B * 100 + T)) {
            int maxT = T + 3;
            int[] tokens = tt.tokens(B * T, V);
            float[] wte = tt.uniform(V * C, 1), wpe = tt.uniform(maxT * C, 1), dout = tt.uniform(B * T * C, 1);
            float[] dwte0 = tt.uniform(V * C, 1), dwpe0 = tt.uniform(maxT * C, 1);
            Tensor tok = tt.ints(tokens, B, T), out = tt.poisoned(B, T, C);
            Tensor dwte = tt.of(dwte0, V, C), dwpe = tt.of(dwpe0, maxT, C);
            k.encoderForward(out, tok, tt.of(wte, V, C), tt.of(wpe, maxT, C));
            k.encoderBackward(dwte, dwpe, tt.of(dout, B, T, C), tok);

            double[] want = new double[B * T * C], wantDwte = toDouble(dwte0), wantDwpe = toDouble(dwpe0);
            for (int b = 0; b < B; b++) {
                for (int t = 0; t < T; t++) {
                    int n = b * T + t, tk = tokens[n];
                    for (int c = 0; c < C; c++) {
                        want[n * C + c] = (double) wte[tk * C + c] + wpe[t * C + c];
                        wantDwte[tk * C + c] += dout[n * C + c];
                        wantDwpe[t * C + c] += dout[n * C + c];
                    }
                }
            }
            assertClose("encoder out", want, out.toFloatArray());
            assertClose("dwte", wantDwte, dwte.toFloatArray());
            assertClose("dwpe", wantDwpe, dwpe.toFloatArray());
        }
    }

    // ---- layernorm ---------------------------------------------------------------------------

    @ParameterizedTest
    @CsvSource({"1, 7", "5, 33", "40, 64", "70, 385"})
    void layerNorm(int N, int C) {
        try (TestTensors tt = new TestTensors(N * 1000 + C)) {
            float[] x = tt.uniform(N * C, 3), w = tt.uniform(C, 1), bias = tt.uniform(C, 1), dout = tt.uniform(N * C, 1);
            for (int i = 0; i < x.length; i++) {
                x[i] += 0.7f;  // a non-zero mean
            }
            float[] dinp0 = tt.uniform(N * C, 1), dw0 = tt.uniform(C, 1), db0 = tt.uniform(C, 1);
            Tensor inp = tt.of(x, N, C), weight = tt.of(w, C), out = tt.poisoned(N, C);
            Tensor mean = tt.poisoned(N), rstd = tt.poisoned(N);
            Tensor dinp = tt.of(dinp0, N, C), dweight = tt.of(dw0, C), dbias = tt.of(db0, C);
            k.layerNormForward(out, mean, rstd, inp, weight, tt.of(bias, C));
            k.layerNormBackward(dinp, dweight, dbias, tt.of(dout, N, C), inp, weight, mean, rstd);

            double[] wantOut = new double[N * C], wantMean = new double[N], wantRstd = new double[N];
            double[] wantDinp = toDouble(dinp0), wantDw = toDouble(dw0), wantDb = toDouble(db0);
            for (int n = 0; n < N; n++) {
                double m = 0, v = 0;
                for (int c = 0; c < C; c++) {
                    m += x[n * C + c];
                }
                m /= C;
                for (int c = 0; c < C; c++) {
                    v += (x[n * C + c] - m) * (x[n * C + c] - m);
                }
                double r = 1 / Math.sqrt(v / C + 1e-5);
                wantMean[n] = m;
                wantRstd[n] = r;
                // y = xhat * w + b with xhat = (x - m) r; dL/dx = r (g - mean(g) - xhat mean(g xhat)), g = dout * w
                double meanG = 0, meanGX = 0;
                for (int c = 0; c < C; c++) {
                    double xhat = (x[n * C + c] - m) * r, g = (double) dout[n * C + c] * w[c];
                    wantOut[n * C + c] = xhat * w[c] + bias[c];
                    meanG += g / C;
                    meanGX += g * xhat / C;
                    wantDw[c] += dout[n * C + c] * xhat;
                    wantDb[c] += dout[n * C + c];
                }
                for (int c = 0; c < C; c++) {
                    double xhat = (x[n * C + c] - m) * r, g = (double) dout[n * C + c] * w[c];
                    wantDinp[n * C + c] += r * (g - meanG - xhat * meanGX);
                }
            }
            assertClose("layernorm out", wantOut, out.toFloatArray());
            assertClose("layernorm mean", wantMean, mean.toFloatArray());
            assertClose("layernorm rstd", wantRstd, rstd.toFloatArray());
            assertClose("layernorm dinp", wantDinp, dinp.toFloatArray());
            assertClose("layernorm dweight", wantDw, dweight.toFloatArray());
            assertClose("layernorm dbias", wantDb, dbias.toFloatArray());
        }
    }

    // ---- bias gradient -----------------------------------------------------------------------

    @ParameterizedTest
    @CsvSource({"1, 7", "17, 33", "200, 384"})
    void biasBackward(int N, int OC) {
        try (TestTensors tt = new TestTensors(N + OC)) {
            float[] dout = tt.uniform(N * OC, 1), db0 = tt.uniform(OC, 1);
            Tensor dbias = tt.of(db0, OC);
            k.biasBackward(dbias, tt.of(dout, N, OC));
            double[] want = toDouble(db0);
            for (int n = 0; n < N; n++) {
                for (int c = 0; c < OC; c++) {
                    want[c] += dout[n * OC + c];
                }
            }
            assertClose("dbias", want, dbias.toFloatArray());
        }
    }

    // ---- attention ---------------------------------------------------------------------------

    @ParameterizedTest
    @CsvSource({"1, 1, 1, 7", "2, 5, 3, 15", "1, 17, 2, 14", "4, 9, 2, 10", "2, 40, 2, 128"})
    void attention(int B, int T, int NH, int C) {
        try (TestTensors tt = new TestTensors(B * T * NH + C)) {
            float[] qkv = tt.uniform(B * T * 3 * C, 2), dout = tt.uniform(B * T * C, 1), dqkv0 = tt.uniform(B * T * 3 * C, 1);
            Tensor out = tt.poisoned(B, T, C), att = tt.poisoned(B, NH, T, T), scratch = tt.poisoned(B, NH, T, T);
            Tensor tq = tt.of(qkv, B, T, 3 * C), dqkv = tt.of(dqkv0, B, T, 3 * C);
            k.attentionForward(out, att, tq, NH);
            k.attentionBackward(dqkv, scratch, tt.of(dout, B, T, C), tq, att, NH);

            AttentionReference.Result want = AttentionReference.of(qkv, dout, dqkv0, B, T, NH, C, 0f, 0L);
            assertClose("attention out", want.out(), out.toFloatArray());
            assertClose("attention att", want.att(), att.toFloatArray());
            assertClose("attention dqkv", want.dqkv(), dqkv.toFloatArray());
        }
    }


    // ---- loss --------------------------------------------------------------------------------

    @ParameterizedTest
    @CsvSource({"1, 11", "9, 11", "33, 256", "5, 1000"})
    void crossEntropy(int N, int V) {
        try (TestTensors tt = new TestTensors(N * 7 + V)) {
            float[] logits = tt.uniform(N * V, 6);
            int[] targets = tt.tokens(N, V);
            float dlossScale = 1f / N;
            Tensor lg = tt.of(logits, N, V), losses = tt.poisoned(N);
            k.crossEntropy(losses, lg, tt.ints(targets, N), dlossScale);
            double[] wantLoss = new double[N], wantD = new double[N * V];
            for (int n = 0; n < N; n++) {
                double max = Double.NEGATIVE_INFINITY, z = 0;
                for (int v = 0; v < V; v++) {
                    max = Math.max(max, logits[n * V + v]);
                }
                for (int v = 0; v < V; v++) {
                    z += Math.exp(logits[n * V + v] - max);
                }
                wantLoss[n] = Math.log(z) + max - logits[n * V + targets[n]];
                for (int v = 0; v < V; v++) {
                    wantD[n * V + v] = (Math.exp(logits[n * V + v] - max) / z - (v == targets[n] ? 1 : 0)) * dlossScale;
                }
            }
            assertClose("losses", wantLoss, losses.toFloatArray());
            assertClose("dlogits", wantD, lg.toFloatArray());

            Tensor again = tt.of(logits, N, V);
            k.crossEntropy(losses, again, tt.ints(targets, N), 0f);
            assertClose("losses without gradient", wantLoss, losses.toFloatArray());
            assertThat(again.toFloatArray()).isEqualTo(new float[N * V]);
        }
    }

    // ---- optimizer ---------------------------------------------------------------------------

    @ParameterizedTest
    @CsvSource({"1, 1", "33, 3", "70001, 2"})
    void adamW(int n, int t) {
        try (TestTensors tt = new TestTensors(n + t)) {
            float[] p = tt.uniform(n, 1), g = tt.uniform(n, 1), m = tt.uniform(n, 0.1), v = tt.uniform(n, 0.1);
            for (int i = 0; i < n; i++) {
                v[i] = Math.abs(v[i]);
            }
            AdamWStep s = new AdamWStep(1e-2f, 0.9f, 0.95f, 1e-8f, 0.1f, t);
            Tensor tp = tt.of(p, n), tm = tt.of(m, n), tv = tt.of(v, n);
            k.adamW(tp, tt.of(g, n), tm, tv, s);
            double[] wantP = new double[n], wantM = new double[n], wantV = new double[n];
            double b1 = s.beta1(), b2 = s.beta2(), lr = s.lr();
            for (int i = 0; i < n; i++) {
                wantM[i] = b1 * m[i] + (1 - b1) * g[i];
                wantV[i] = b2 * v[i] + (1 - b2) * g[i] * g[i];
                double mhat = wantM[i] / (1 - Math.pow(b1, t)), vhat = wantV[i] / (1 - Math.pow(b2, t));
                wantP[i] = p[i] - lr * (mhat / (Math.sqrt(vhat) + s.eps()) + s.weightDecay() * p[i]);
            }
            assertClose("adamW m", wantM, tm.toFloatArray());
            assertClose("adamW v", wantV, tv.toFloatArray());
            assertClose("adamW param", wantP, tp.toFloatArray());
        }
    }

    @Test
    void sumOfSquaresClipAndFiniteCheck() {
        try (TestTensors tt = new TestTensors(5)) {
            List<Tensor> grads = List.of(tt.random(1, 7), tt.random(1, 0), tt.random(2, 100_003), tt.random(1, 33, 5));
            double want = 0;
            for (Tensor g : grads) {
                for (float x : g.toFloatArray()) {
                    want += (double) x * x;
                }
            }
            Tensor out = tt.poisoned(1);
            k.sumOfSquares(out, grads);
            assertClose("sumOfSquares", new double[] {want}, out.toFloatArray());

            List<float[]> before = grads.stream().map(Tensor::toFloatArray).toList();
            float maxNorm = 10f;
            double factor = maxNorm / (Math.sqrt(out.getFloat(0)) + 1e-6);
            k.clipByGlobalNorm(grads, out, maxNorm);
            for (int i = 0; i < grads.size(); i++) {
                double[] w = toDouble(before.get(i));
                for (int j = 0; j < w.length; j++) {
                    w[j] *= factor;
                }
                assertClose("clipped " + i, w, grads.get(i).toFloatArray());
            }
            k.clipByGlobalNorm(grads, out, 1e6f);
            assertClose("unclipped", toDouble(grads.get(2).toFloatArray()), grads.get(2).toFloatArray());

            Tensor flag = tt.poisoned(1);
            k.checkFinite(flag, grads);
            assertThat(flag.getFloat(0)).isEqualTo(0f);
            for (float bad : new float[] {Float.NaN, Float.POSITIVE_INFINITY, Float.NEGATIVE_INFINITY}) {
                grads.get(2).setFloat(99_999, bad);
                k.checkFinite(flag, grads);
                assertThat(flag.getFloat(0)).as("flag for %s", bad).isEqualTo(1f);
            }
        }
    }

    // ---- determinism -------------------------------------------------------------------------

    @Test
    void sumOfSquaresAndEncoderBackwardAreBitIdenticalAcrossThreadCounts() {
        int B = 4, T = 64, C = 384, V = 50;
        try (TestTensors tt = new TestTensors(9); CpuKernels one = CpuKernels.create(1); CpuKernels two = CpuKernels.create(2)) {
            List<Tensor> grads = List.of(tt.random(1, 300_001), tt.random(3, 17), tt.random(1, 65_536));
            Tensor s1 = tt.poisoned(1), s2 = tt.poisoned(1);
            one.sumOfSquares(s1, grads);
            two.sumOfSquares(s2, grads);
            assertThat(Float.floatToRawIntBits(s2.getFloat(0))).isEqualTo(Float.floatToRawIntBits(s1.getFloat(0)));

            Tensor tokens = tt.ints(tt.tokens(B * T, 5), B, T);  // few distinct tokens: many rows per wte row
            Tensor dout = tt.random(1, B, T, C);
            float[] dwte0 = tt.uniform(V * C, 1), dwpe0 = tt.uniform(T * C, 1);
            Tensor dwte1 = tt.of(dwte0, V, C), dwpe1 = tt.of(dwpe0, T, C), dwte2 = tt.of(dwte0, V, C), dwpe2 = tt.of(dwpe0, T, C);
            one.encoderBackward(dwte1, dwpe1, dout, tokens);
            two.encoderBackward(dwte2, dwpe2, dout, tokens);
            assertThat(dwte2.toFloatArray()).isEqualTo(dwte1.toFloatArray());
            assertThat(dwpe2.toFloatArray()).isEqualTo(dwpe1.toFloatArray());
        }
    }

    // ---- validation --------------------------------------------------------------------------

    @Test
    void rejectsBadArguments() {
        try (TestTensors tt = new TestTensors(1); HostArena arena = new HostArena()) {
            Tensor a = tt.random(1, 4, 8), b = tt.random(1, 4, 9);
            assertThatThrownBy(() -> k.add(a, a, b)).isInstanceOf(IllegalArgumentException.class)
                    .hasMessageContaining("add").hasMessageContaining("differ in size");
            Tensor ints = arena.allocate(DType.INT32, 4, 8);
            assertThatThrownBy(() -> k.geluForward(a, ints)).isInstanceOf(IllegalArgumentException.class)
                    .hasMessageContaining("must be FP32");
            Tensor device = new Tensor(a.data(), DType.FP32, new int[] {4, 8}, Tensor.Location.DEVICE);
            assertThatThrownBy(() -> k.fill(device, 0f)).isInstanceOf(IllegalArgumentException.class)
                    .hasMessageContaining("HOST");
            Tensor qkv = tt.random(1, 1, 4, 12);
            assertThatThrownBy(() -> k.attentionForward(tt.poisoned(1, 4, 4), tt.poisoned(1, 3, 4, 4), qkv, 3))
                    .hasMessageContaining("divisible by numHeads 3");
            Tensor targets = tt.ints(new int[] {0, 8, 1, 2}, 4);
            assertThatThrownBy(() -> k.crossEntropy(tt.poisoned(4), a, targets, 1f))
                    .hasMessageContaining("targets[1] = 8 is outside [0, 8)");
            assertThatThrownBy(() -> k.matmul(tt.poisoned(4, 4), a, false, b, false, null, false))
                    .hasMessageContaining("matmul");
        }
    }
}
