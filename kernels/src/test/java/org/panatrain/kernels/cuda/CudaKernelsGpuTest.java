// Every CUDA kernel against the CPU backend on random inputs, at several sizes including odd and
// misaligned ones, with outputs poisoned (NaN) first and gradients starting non-zero (the backward
// ops accumulate). BF16/FP16 runs give the CPU the same rounded inputs and compare at the BF16
// tolerance. Needs a GPU: tagged gpu, skipped with the reason where CUDA is not available.
// Leaves out the matmul variants themselves (the cuBLASLt tests cover them).
package org.panatrain.kernels.cuda;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assumptions.assumeTrue;
import static org.panatrain.kernels.cuda.GpuTensors.assertClose;
import static org.panatrain.kernels.cuda.GpuTensors.round;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;
import org.panatrain.bindings.Cuda;
import org.panatrain.kernels.AdamWStep;
import org.panatrain.kernels.cpu.CpuKernels;
import org.panatrain.memory.DType;
import org.panatrain.memory.DeviceArena;
import org.panatrain.memory.Tensor;

@Tag("gpu")
class CudaKernelsGpuTest {
    private static GpuTestBackends backends;
    private static CudaKernels gpu;
    private static CpuKernels cpu;
    private static DeviceArena arena;

    @BeforeAll
    static void open() {
        backends = GpuTestBackends.openOrSkip("CudaKernelsGpuTest", 1L << 30);
        gpu = backends.gpu();
        cpu = backends.cpu();
        arena = backends.arena();
    }

    @AfterAll
    static void close() {
        if (backends != null) {
            backends.close();
        }
    }

    private static GpuTensors tensors(long seed) {
        return new GpuTensors(arena, seed);
    }

    // ---- memory and pointwise -------------------------------------------------------------------

    @ParameterizedTest
    @EnumSource(value = DType.class, names = {"FP32", "BF16", "FP16"})
    void pointwiseOpsMatchCpu(DType dt) {
        for (int n : new int[] {1, 7, 1000, 4099}) {
            for (boolean misaligned : new boolean[] {false, true}) {
                try (GpuTensors g = tensors(n)) {
                    String at = " n=" + n + (misaligned ? " misaligned" : "");
                    float[] a = g.uniform(n, 3, dt), b = g.uniform(n, 3, dt), d = g.uniform(n, 1, dt);
                    Tensor da = put(g, a, dt, misaligned), db = put(g, b, dt, misaligned);

                    Tensor out = g.poisoned(dt, n);
                    gpu.fill(out, 0.37f);
                    float[] want = new float[n];
                    Arrays.fill(want, round(0.37f, dt));
                    assertThat(g.read(out)).as("fill" + at).containsExactly(want);

                    out = g.poisoned(dt, n);
                    gpu.copy(out, da);
                    assertThat(g.read(out)).as("copy" + at).containsExactly(a);

                    Tensor dd = put(g, d, dt, misaligned);
                    gpu.accumulate(dd, da);
                    assertClose("accumulate" + at, cpu(d, t -> cpu.accumulate(t, g.host(a, n))), g.read(dd), dt);

                    dd = put(g, d, dt, misaligned);
                    gpu.scale(dd, -1.7f);
                    assertClose("scale" + at, cpu(d, t -> cpu.scale(t, -1.7f)), g.read(dd), dt);

                    out = g.poisoned(dt, n);
                    gpu.add(out, da, db);
                    assertClose("add" + at, cpu(new float[n], t -> cpu.add(t, g.host(a, n), g.host(b, n))), g.read(out), dt);

                    out = g.poisoned(dt, n);
                    gpu.geluForward(out, da);
                    assertClose("geluForward" + at, cpu(new float[n], t -> cpu.geluForward(t, g.host(a, n))), g.read(out), dt);

                    dd = put(g, d, dt, misaligned);
                    gpu.geluBackward(dd, da, db);
                    assertClose("geluBackward" + at, cpu(d, t -> cpu.geluBackward(t, g.host(a, n), g.host(b, n))), g.read(dd), dt);
                }
            }
        }
    }

    @Test
    void castsRoundToNearestEvenAndReportAmax() {
        float[] specials = {0f, -0f, 1f, -1.5f, 65504f, 65520f, 1e6f, -3e38f, 1e-8f, 6e-8f, 1.00390625f, 1.01171875f,
                Float.MIN_VALUE, Float.POSITIVE_INFINITY, Float.NEGATIVE_INFINITY};
        try (GpuTensors g = tensors(1)) {
            float[] x = Arrays.copyOf(specials, specials.length + 4099);
            float[] random = g.uniform(4099, 100, DType.FP32);
            System.arraycopy(random, 0, x, specials.length, random.length);
            int n = x.length;
            Tensor src = g.device(x, DType.FP32, n);
            for (DType to : new DType[] {DType.BF16, DType.FP16}) {
                Tensor amax = g.device(new float[1], DType.FP32, 1);
                Tensor out = g.poisoned(to, n);
                gpu.cast(out, src, amax);
                assertThat(g.read(out)).as("FP32 -> " + to).containsExactly(round(x, to));
                assertThat(g.read(amax)).as("amax").containsExactly(Float.POSITIVE_INFINITY);
                Tensor back = g.poisoned(DType.FP32, n);
                gpu.cast(back, out, null);
                assertThat(g.read(back)).as(to + " -> FP32").containsExactly(round(x, to));
                DType other = to == DType.BF16 ? DType.FP16 : DType.BF16;
                Tensor across = g.poisoned(other, n);
                gpu.cast(across, out, null);
                assertThat(g.read(across)).as(to + " -> " + other).containsExactly(round(round(x, to), other));
            }
            float[] finite = Arrays.copyOfRange(x, specials.length, n);
            Tensor amax = g.device(new float[1], DType.FP32, 1);
            gpu.cast(g.poisoned(DType.BF16, finite.length), g.device(finite, DType.FP32, finite.length), amax);
            float max = 0;
            for (float v : finite) {
                max = Math.max(max, Math.abs(v));
            }
            assertThat(g.read(amax)).as("amax of finite values").containsExactly(max);
        }
    }

    // ---- embedding ------------------------------------------------------------------------------

    @ParameterizedTest
    @EnumSource(value = DType.class, names = {"FP32", "BF16"})
    void encoderMatchesCpuAndItsBackwardIsDeterministic(DType dt) {
        int[][] shapes = {{1, 1, 1, 1, 1}, {2, 5, 7, 11, 6}, {3, 64, 96, 50, 64}, {4, 33, 768, 300, 40}}; // B T C V maxT
        for (int[] s : shapes) {
            int B = s[0], T = s[1], C = s[2], V = s[3], maxT = s[4];
            String at = " " + Arrays.toString(s);
            try (GpuTensors g = tensors(C)) {
                int[] tokens = g.tokens(B * T, V); // V small next to B*T: many repeats per token
                float[] wte = g.uniform(V * C, 1, dt), wpe = g.uniform(maxT * C, 1, dt);
                float[] dout = g.uniform(B * T * C, 1, dt), dwte = g.uniform(V * C, 1, dt), dwpe = g.uniform(maxT * C, 1, dt);
                Tensor hostTokens = g.hostInts(tokens, B, T), devTokens = g.deviceInts(tokens, B, T);

                Tensor out = g.poisoned(dt, B, T, C);
                gpu.encoderForward(out, devTokens, g.device(wte, dt, V, C), g.device(wpe, dt, maxT, C));
                Tensor want = g.host(new float[B * T * C], B, T, C);
                cpu.encoderForward(want, hostTokens, g.host(wte, V, C), g.host(wpe, maxT, C));
                assertClose("encoderForward" + at, want.toFloatArray(), g.read(out), dt);

                Tensor wantWte = g.host(dwte, V, C), wantWpe = g.host(dwpe, maxT, C);
                cpu.encoderBackward(wantWte, wantWpe, g.host(dout, B, T, C), hostTokens);
                float[][] runs = new float[2][];
                for (int run = 0; run < 2; run++) {
                    Tensor gw = g.device(dwte, dt, V, C), gp = g.device(dwpe, dt, maxT, C);
                    gpu.encoderBackward(gw, gp, g.device(dout, dt, B, T, C), devTokens);
                    runs[run] = g.read(gw);
                    assertClose("encoderBackward dwte" + at, wantWte.toFloatArray(), runs[run], dt);
                    assertClose("encoderBackward dwpe" + at, wantWpe.toFloatArray(), g.read(gp), dt);
                }
                assertThat(runs[1]).as("dwte bit-identical on a second run" + at).containsExactly(runs[0]);
            }
        }
    }

    // ---- layernorm ------------------------------------------------------------------------------

    @ParameterizedTest
    @EnumSource(value = DType.class, names = {"FP32", "BF16"})
    void layerNormMatchesCpu(DType dt) {
        int[][] shapes = {{1, 1}, {3, 7}, {17, 64}, {64, 768}, {5, 1000}}; // N C
        for (int[] s : shapes) {
            int N = s[0], C = s[1];
            String at = " " + Arrays.toString(s);
            try (GpuTensors g = tensors(N * 31L + C)) {
                float[] x = g.uniform(N * C, 2, dt), w = g.uniform(C, 1, dt), b = g.uniform(C, 1, dt);
                float[] dout = g.uniform(N * C, 1, dt), dx = g.uniform(N * C, 1, dt);
                float[] dw = g.uniform(C, 1, dt), db = g.uniform(C, 1, dt);
                Tensor out = g.poisoned(dt, N, C), mean = g.poisoned(DType.FP32, N), rstd = g.poisoned(DType.FP32, N);
                Tensor gx = g.device(x, dt, N, C), gw = g.device(w, dt, C);
                gpu.layerNormForward(out, mean, rstd, gx, gw, g.device(b, dt, C));
                Tensor wOut = g.host(new float[N * C], N, C), wMean = g.host(new float[N], N), wRstd = g.host(new float[N], N);
                Tensor hx = g.host(x, N, C), hw = g.host(w, C);
                cpu.layerNormForward(wOut, wMean, wRstd, hx, hw, g.host(b, C));
                assertClose("layerNormForward out" + at, wOut.toFloatArray(), g.read(out), dt);
                assertClose("layerNormForward mean" + at, wMean.toFloatArray(), g.read(mean), DType.FP32);
                assertClose("layerNormForward rstd" + at, wRstd.toFloatArray(), g.read(rstd), dt);

                Tensor gdx = g.device(dx, dt, N, C), gdw = g.device(dw, dt, C), gdb = g.device(db, dt, C);
                gpu.layerNormBackward(gdx, gdw, gdb, g.device(dout, dt, N, C), gx, gw, mean, rstd);
                Tensor hdx = g.host(dx, N, C), hdw = g.host(dw, C), hdb = g.host(db, C);
                cpu.layerNormBackward(hdx, hdw, hdb, g.host(dout, N, C), hx, hw, wMean, wRstd);
                assertClose("layerNormBackward dinp" + at, hdx.toFloatArray(), g.read(gdx), dt);
                assertClose("layerNormBackward dweight" + at, hdw.toFloatArray(), g.read(gdw), dt);
                assertClose("layerNormBackward dbias" + at, hdb.toFloatArray(), g.read(gdb), dt);
                Tensor again = g.device(dw, dt, C);
                gpu.layerNormBackward(g.device(dx, dt, N, C), again, g.device(db, dt, C), g.device(dout, dt, N, C), gx, gw, mean, rstd);
                assertThat(g.read(again)).as("dweight bit-identical on a second run" + at).containsExactly(g.read(gdw));

                float[] r = g.uniform(N * C, 2, dt);
                Tensor residual = g.poisoned(dt, N, C);
                out = g.poisoned(dt, N, C);
                gpu.residualLayerNormForward(residual, out, mean, rstd, g.device(r, dt, N, C), gx, gw, g.device(b, dt, C));
                Tensor hr = g.host(new float[N * C], N, C);
                cpu.add(hr, g.host(r, N, C), hx);
                float[] sum = dt == DType.FP32 ? hr.toFloatArray() : round(hr.toFloatArray(), dt);
                assertClose("residual" + at, sum, g.read(residual), dt);
                cpu.layerNormForward(wOut, wMean, wRstd, g.host(sum, N, C), hw, g.host(b, C));
                assertClose("residualLayerNormForward out" + at, wOut.toFloatArray(), g.read(out), dt);
                assertClose("residualLayerNormForward rstd" + at, wRstd.toFloatArray(), g.read(rstd), dt);
            }
        }
    }

    @ParameterizedTest
    @EnumSource(value = DType.class, names = {"FP32", "BF16"})
    void biasBackwardMatchesCpu(DType dt) {
        int[][] shapes = {{1, 1}, {5, 3}, {1000, 768}, {257, 3001}}; // N OC
        for (int[] s : shapes) {
            int N = s[0], OC = s[1];
            try (GpuTensors g = tensors(N + OC)) {
                float[] dout = g.uniform(N * OC, 1, dt), dbias = g.uniform(OC, 1, dt);
                Tensor gb = g.device(dbias, dt, OC);
                gpu.biasBackward(gb, g.device(dout, dt, N, OC));
                Tensor hb = g.host(dbias, OC);
                cpu.biasBackward(hb, g.host(dout, N, OC));
                assertClose("biasBackward " + Arrays.toString(s), hb.toFloatArray(), g.read(gb), dt);
                Tensor again = g.device(dbias, dt, OC);
                gpu.biasBackward(again, g.device(dout, dt, N, OC));
                assertThat(g.read(again)).as("bit-identical on a second run").containsExactly(g.read(gb));
            }
        }
    }

    // ---- attention ------------------------------------------------------------------------------

    @ParameterizedTest
    @EnumSource(value = DType.class, names = {"FP32", "BF16"})
    void attentionMatchesCpu(DType dt) {
        assumeTrue(Cuda.availability().cublasLtAvailable(), "cuBLASLt is not available: " + Cuda.availability().cublasLtReason());
        int[][] shapes = {{1, 1, 4, 1}, {2, 7, 12, 3}, {2, 64, 128, 4}, {1, 130, 96, 2}}; // B T C NH
        for (int[] s : shapes) {
            int B = s[0], T = s[1], C = s[2], NH = s[3];
            String at = " " + Arrays.toString(s);
            try (GpuTensors g = tensors(B * T * C)) {
                float[] qkv = g.uniform(B * T * 3 * C, 1, dt), dout = g.uniform(B * T * C, 1, dt);
                float[] dqkv = g.uniform(B * T * 3 * C, 1, dt);
                Tensor gqkv = g.device(qkv, dt, B, T, 3 * C);
                Tensor out = g.poisoned(dt, B, T, C), att = g.poisoned(dt, B, NH, T, T);
                gpu.attentionForward(out, att, gqkv, NH);
                Tensor hOut = g.host(new float[B * T * C], B, T, C), hAtt = g.host(new float[B * NH * T * T], B, NH, T, T);
                Tensor hqkv = g.host(qkv, B, T, 3 * C);
                cpu.attentionForward(hOut, hAtt, hqkv, NH);
                assertClose("attentionForward out" + at, hOut.toFloatArray(), g.read(out), dt);
                assertClose("attentionForward att" + at, hAtt.toFloatArray(), g.read(att), dt);

                Tensor gd = g.device(dqkv, dt, B, T, 3 * C);
                gpu.attentionBackward(gd, g.poisoned(dt, B, NH, T, T), g.device(dout, dt, B, T, C), gqkv, att, NH);
                Tensor hd = g.host(dqkv, B, T, 3 * C);
                float[] attUsed = dt == DType.FP32 ? hAtt.toFloatArray() : g.read(att); // the GPU's stored probabilities
                cpu.attentionBackward(hd, g.host(new float[B * NH * T * T], B, NH, T, T), g.host(dout, B, T, C), hqkv,
                        g.host(attUsed, B, NH, T, T), NH);
                assertClose("attentionBackward dqkv" + at, hd.toFloatArray(), g.read(gd), dt);
            }
        }
    }

    // ---- loss -----------------------------------------------------------------------------------

    @ParameterizedTest
    @EnumSource(value = DType.class, names = {"FP32", "BF16"})
    void crossEntropyMatchesCpu(DType dt) {
        int[][] shapes = {{1, 2}, {7, 11}, {64, 1000}, {4, 50257}}; // N V
        for (int[] s : shapes) {
            int N = s[0], V = s[1];
            for (float scale : new float[] {1f / N, 0f}) {
                String at = " " + Arrays.toString(s) + " dlossScale=" + scale;
                try (GpuTensors g = tensors(N * V)) {
                    float[] logits = g.uniform(N * V, 8, dt);
                    int[] targets = g.tokens(N, V);
                    Tensor gl = g.device(logits, dt, N, V), losses = g.poisoned(DType.FP32, N);
                    gpu.crossEntropy(losses, gl, g.deviceInts(targets, N), scale);
                    Tensor hl = g.host(logits, N, V), hLosses = g.host(new float[N], N);
                    cpu.crossEntropy(hLosses, hl, g.hostInts(targets, N), scale);
                    // log(sum) in FP32 on both sides: ~1e-7 absolute, which a loss near zero cannot absorb relatively
                    assertClose("crossEntropy losses" + at, hLosses.toFloatArray(), g.read(losses), DType.FP32, 1e-6);
                    assertClose("crossEntropy dlogits" + at, hl.toFloatArray(), g.read(gl), dt);
                }
            }
        }
    }

    // ---- optimizer ------------------------------------------------------------------------------

    @ParameterizedTest
    @EnumSource(value = DType.class, names = {"FP32", "BF16", "FP16"})
    void adamWMatchesCpuAndWritesTheWorkingCopy(DType gradType) {
        for (int n : new int[] {1, 7, 10001}) {
            for (int t : new int[] {1, 7}) {
                String at = " n=" + n + " t=" + t;
                try (GpuTensors g = tensors(n + t)) {
                    float[] p = g.uniform(n, 1, DType.FP32), grad = g.uniform(n, 1, gradType);
                    float[] m = g.uniform(n, 0.1, DType.FP32), v = new float[n];
                    for (int i = 0; i < n; i++) {
                        v[i] = (float) (g.random.nextDouble() * 0.01);
                    }
                    AdamWStep step = new AdamWStep(6e-4f, 0.9f, 0.95f, 1e-8f, 0.1f, t);
                    Tensor gp = g.device(p, DType.FP32, n), gm = g.device(m, DType.FP32, n), gv = g.device(v, DType.FP32, n);
                    Tensor copy = gradType == DType.FP32 ? null : g.poisoned(gradType, n);
                    gpu.adamW(gp, g.device(grad, gradType, n), gm, gv, copy, step);
                    Tensor hp = g.host(p, n), hm = g.host(m, n), hv = g.host(v, n);
                    cpu.adamW(hp, g.host(grad, n), hm, hv, step);
                    assertClose("adamW param" + at, hp.toFloatArray(), g.read(gp), DType.FP32);
                    assertClose("adamW m" + at, hm.toFloatArray(), g.read(gm), DType.FP32);
                    assertClose("adamW v" + at, hv.toFloatArray(), g.read(gv), DType.FP32);
                    if (copy != null) {
                        assertThat(g.read(copy)).as("working copy" + at).containsExactly(round(g.read(gp), gradType));
                    }
                }
            }
        }
    }

    @ParameterizedTest
    @EnumSource(value = DType.class, names = {"FP32", "BF16"})
    void globalNormClipAndFiniteCheckMatchCpu(DType dt) {
        int[] sizes = {1, 1000, 300001, 7};
        try (GpuTensors g = tensors(dt.ordinal())) {
            List<float[]> values = new ArrayList<>();
            List<Tensor> dev = new ArrayList<>(), host = new ArrayList<>();
            for (int n : sizes) {
                float[] x = g.uniform(n, 1, dt);
                values.add(x);
                dev.add(g.device(x, dt, n));
                host.add(g.host(x, n));
            }
            Tensor sum = g.poisoned(DType.FP32, 1), hSum = g.host(new float[1], 1);
            gpu.sumOfSquares(sum, dev);
            cpu.sumOfSquares(hSum, host);
            float first = g.read(sum)[0];
            assertClose("sumOfSquares", hSum.toFloatArray(), new float[] {first}, DType.FP32);
            gpu.sumOfSquares(sum, dev);
            assertThat(g.read(sum)[0]).as("sumOfSquares bit-identical on a second run").isEqualTo(first);

            for (float maxNorm : new float[] {(float) Math.sqrt(first) / 3, (float) Math.sqrt(first) * 2}) {
                List<Tensor> dCopy = new ArrayList<>(), hCopy = new ArrayList<>();
                for (int i = 0; i < sizes.length; i++) {
                    dCopy.add(g.device(values.get(i), dt, sizes[i]));
                    hCopy.add(g.host(values.get(i), sizes[i]));
                }
                gpu.clipByGlobalNorm(dCopy, sum, maxNorm);
                cpu.clipByGlobalNorm(hCopy, hSum, maxNorm);
                for (int i = 0; i < sizes.length; i++) {
                    assertClose("clipByGlobalNorm maxNorm=" + maxNorm + " tensor " + i, hCopy.get(i).toFloatArray(),
                            g.read(dCopy.get(i)), dt);
                }
            }

            Tensor flag = g.poisoned(DType.FP32, 1);
            gpu.checkFinite(flag, dev);
            assertThat(g.read(flag)).as("all finite").containsExactly(0f);
            for (float bad : new float[] {Float.NaN, Float.POSITIVE_INFINITY, Float.NEGATIVE_INFINITY}) {
                float[] x = values.get(2).clone();
                x[x.length - 1] = bad;
                List<Tensor> withBad = new ArrayList<>(dev);
                withBad.set(2, g.device(x, dt, x.length));
                flag = g.poisoned(DType.FP32, 1);
                gpu.checkFinite(flag, withBad);
                assertThat(g.read(flag)).as("flag with " + bad).containsExactly(1f);
            }
        }
    }

    // ---- helpers --------------------------------------------------------------------------------

    private static Tensor put(GpuTensors g, float[] values, DType dt, boolean misaligned) {
        return misaligned ? g.deviceMisaligned(values, dt, values.length) : g.device(values, dt, values.length);
    }

    /** Runs a CPU op on a host FP32 copy of {@code init} and returns the result. */
    private static float[] cpu(float[] init, java.util.function.Consumer<Tensor> op) {
        try (org.panatrain.memory.HostArena h = new org.panatrain.memory.HostArena()) {
            Tensor t = h.allocate(DType.FP32, init.length);
            t.copyFrom(init);
            op.accept(t);
            return t.toFloatArray();
        }
    }
}
