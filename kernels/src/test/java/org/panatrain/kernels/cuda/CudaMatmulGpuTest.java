// On a GPU: every cuBLASLt matmul variant against the CPU backend (CpuKernels) on random inputs, at
// odd and aligned sizes, outputs poisoned (NaN) first: FP32, TF32, BF16, FP16 x the four
// transpose layouts; bias (with and without accumulate), GELU+bias and bias-gradient epilogues;
// batched attention-style products; the plan cache. Tolerances are DESIGN.md's (relative to the
// largest reference value). Skipped, with the reason, where CUDA or cuBLASLt is absent.
package org.panatrain.kernels.cuda;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.junit.jupiter.api.Assumptions.assumeTrue;
import static org.panatrain.kernels.cuda.DeviceTensors.download;
import static org.panatrain.kernels.cuda.DeviceTensors.host;
import static org.panatrain.kernels.cuda.DeviceTensors.random;
import static org.panatrain.kernels.cuda.DeviceTensors.relativeError;
import static org.panatrain.kernels.cuda.DeviceTensors.toDouble;
import static org.panatrain.kernels.cuda.DeviceTensors.upload;

import java.util.ArrayList;
import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.EnumSource;
import org.junit.jupiter.params.provider.MethodSource;
import org.panatrain.bindings.Cuda;
import org.panatrain.kernels.cpu.CpuKernels;
import org.panatrain.kernels.cuda.CudaMatmul.Epilogue;
import org.panatrain.kernels.cuda.CudaMatmul.Precision;
import org.panatrain.memory.DType;
import org.panatrain.memory.DeviceArena;
import org.panatrain.memory.DeviceMemory;
import org.panatrain.memory.HostArena;
import org.panatrain.memory.Tensor;

@Tag("gpu")
class CudaMatmulGpuTest {
    /** The reference: the CPU backend. */
    private static final CpuKernels CPU = CpuKernels.create();
    private static CudaContext cuda;
    private HostArena hostArena;
    private DeviceArena dev;

    @BeforeAll
    static void open() {
        Cuda.Availability a = Cuda.availability();
        assumeTrue(a.available(), a.reason());
        assumeTrue(a.cublasLtAvailable(), a.cublasLtReason());
        cuda = CudaContext.open(0);
    }

    @AfterAll
    static void close() {
        if (cuda != null) {
            cuda.close();
        }
        CPU.close();
    }

    @BeforeEach
    void arenas() {
        hostArena = new HostArena();
        dev = DeviceArena.allocate("matmul-test", 64L << 20);
    }

    @AfterEach
    void free() {
        dev.close();
        hostArena.close();
    }

    static double tolerance(Precision p) {
        return switch (p) {
            case FP32 -> 1e-5;
            case TF32 -> 5e-4;
            case BF16, FP16 -> 1e-2;
        };
    }

    /** (M, N, K): odd, aligned, and GPT-2 124M's attention projection at a short sequence. */
    static final int[][] SIZES = {{37, 53, 71}, {128, 256, 64}, {64, 2304, 768}};

    static Stream<Arguments> layouts() {
        List<Arguments> out = new ArrayList<>();
        for (Precision p : Precision.values()) {
            for (int[] s : SIZES) {
                for (int t = 0; t < 4; t++) {
                    out.add(Arguments.of(p, (t & 1) != 0, (t & 2) != 0, s[0], s[1], s[2]));
                }
            }
        }
        return out.stream();
    }

    /** Operands on the device, the same values on the host as FP32 for the reference. */
    private record Operands(Tensor a, Tensor b, Tensor hostA, Tensor hostB) {
    }

    private Operands operands(Precision p, boolean transA, boolean transB, int m, int n, int k, long seed) {
        float[] av = random(m * k, seed, p.dtype());
        float[] bv = random(k * n, seed + 1, p.dtype());
        int[] aShape = transA ? new int[] {k, m} : new int[] {m, k};
        int[] bShape = transB ? new int[] {n, k} : new int[] {k, n};
        return new Operands(upload(dev, hostArena, av, p.dtype(), aShape), upload(dev, hostArena, bv, p.dtype(), bShape),
                host(hostArena, av, aShape), host(hostArena, bv, bShape));
    }

    private Tensor poisoned(DType t, int... shape) {
        Tensor out = dev.allocate(t, shape);
        DeviceMemory.fillBytes(out, (byte) 0xFF); // NaN in FP32, BF16 and FP16
        return out;
    }

    private double[] reference(Operands o, boolean transA, boolean transB, int m, int n, float[] bias) {
        Tensor ref = hostArena.allocate(DType.FP32, m, n);
        CPU.matmul(ref, o.hostA(), transA, o.hostB(), transB, bias == null ? null : host(hostArena, bias, n), false);
        return toDouble(ref.toFloatArray());
    }

    @ParameterizedTest(name = "{0} transA={1} transB={2} {3}x{4}x{5}")
    @MethodSource("layouts")
    void matmulMatchesTheCpuBackend(Precision p, boolean transA, boolean transB, int m, int n, int k) {
        Operands o = operands(p, transA, transB, m, n, k, 17);
        Tensor out = poisoned(p.dtype(), m, n);
        cuda.matmul().matmul(p, out, o.a(), transA, o.b(), transB, null, Epilogue.NONE, false);
        cuda.synchronize();
        assertThat(relativeError(download(hostArena, out), reference(o, transA, transB, m, n, null)))
                .isLessThanOrEqualTo(tolerance(p));
    }

    @ParameterizedTest(name = "{0}")
    @EnumSource(Precision.class)
    void biasEpilogueWithAndWithoutAccumulate(Precision p) {
        int m = 45, n = 96, k = 33;
        for (int t = 0; t < 4; t++) {
            boolean transA = (t & 1) != 0, transB = (t & 2) != 0;
            Operands o = operands(p, transA, transB, m, n, k, 100 + t);
            float[] bias = random(n, 7, p.dtype());
            Tensor deviceBias = upload(dev, hostArena, bias, p.dtype(), n);
            Tensor out = poisoned(p.dtype(), m, n);
            cuda.matmul().matmul(p, out, o.a(), transA, o.b(), transB, deviceBias, Epilogue.BIAS, false);
            double[] want = reference(o, transA, transB, m, n, bias);
            cuda.synchronize();
            assertThat(relativeError(download(hostArena, out), want)).as("layout %d", t).isLessThanOrEqualTo(tolerance(p));

            // Accumulate: out (= want, as computed) += product + bias.
            cuda.matmul().matmul(p, out, o.a(), transA, o.b(), transB, deviceBias, Epilogue.BIAS, true);
            float[] accumulated = download(hostArena, out);
            cuda.synchronize();
            double[] twice = new double[want.length];
            for (int i = 0; i < want.length; i++) {
                twice[i] = 2 * want[i];
            }
            assertThat(relativeError(accumulated, twice)).as("accumulate, layout %d", t).isLessThanOrEqualTo(2 * tolerance(p));
        }
    }

    @ParameterizedTest(name = "{0}")
    @EnumSource(Precision.class)
    void geluBiasEpilogueMatchesTanhGelu(Precision p) {
        int m = 64, n = 3072 / 8, k = 96; // an MLP up-projection, scaled down
        Operands o = operands(p, false, false, m, n, k, 3);
        float[] bias = random(n, 4, p.dtype());
        Tensor out = poisoned(p.dtype(), m, n);
        cuda.matmul().matmul(p, out, o.a(), false, o.b(), false, upload(dev, hostArena, bias, p.dtype(), n),
                Epilogue.GELU_BIAS, false);
        double[] want = reference(o, false, false, m, n, bias);
        for (int i = 0; i < want.length; i++) {
            double x = want[i];
            want[i] = 0.5 * x * (1 + Math.tanh(Math.sqrt(2 / Math.PI) * (x + 0.044715 * x * x * x)));
        }
        cuda.synchronize();
        assertThat(relativeError(download(hostArena, out), want)).isLessThanOrEqualTo(Math.max(tolerance(p), 1e-4));
    }

    @ParameterizedTest(name = "{0}")
    @EnumSource(Precision.class)
    void biasGradientEpilogueSumsDoutOverRows(Precision p) {
        // dW (C,OC) = x^T (C,N) @ dout (N,OC); dbias (OC) = column sums of dout.
        int rows = 77, c = 48, oc = 80;
        float[] x = random(rows * c, 11, p.dtype());
        float[] dout = random(rows * oc, 12, p.dtype());
        Tensor dw = poisoned(p.dtype(), c, oc);
        Tensor dbias = poisoned(p.dtype(), oc);
        cuda.matmul().matmul(p, dw, upload(dev, hostArena, x, p.dtype(), rows, c), true,
                upload(dev, hostArena, dout, p.dtype(), rows, oc), false, dbias, Epilogue.BGRADB, false);
        Tensor ref = hostArena.allocate(DType.FP32, c, oc);
        CPU.matmul(ref, host(hostArena, x, rows, c), true, host(hostArena, dout, rows, oc), false, null, false);
        double[] sums = new double[oc];
        for (int r = 0; r < rows; r++) {
            for (int j = 0; j < oc; j++) {
                sums[j] += dout[r * oc + j];
            }
        }
        cuda.synchronize();
        assertThat(relativeError(download(hostArena, dw), toDouble(ref.toFloatArray()))).isLessThanOrEqualTo(tolerance(p));
        assertThat(relativeError(download(hostArena, dbias), sums)).isLessThanOrEqualTo(tolerance(p));
    }

    @ParameterizedTest(name = "{0}")
    @EnumSource(Precision.class)
    void batchedAttentionProducts(Precision p) {
        int batch = 6, t = 33, hs = 16; // B*NH = 6 heads of an odd sequence length
        float scale = (float) (1 / Math.sqrt(hs));
        float[] q = random(batch * t * hs, 21, p.dtype());
        float[] k = random(batch * t * hs, 22, p.dtype());
        Tensor att = poisoned(p.dtype(), batch, t, t);
        // att = scale * q @ k^T per head
        cuda.matmul().matmulBatched(p, att, upload(dev, hostArena, q, p.dtype(), batch, t, hs), false,
                upload(dev, hostArena, k, p.dtype(), batch, t, hs), true, scale, false);
        double[] want = new double[batch * t * t];
        for (int h = 0; h < batch; h++) {
            Tensor ref = hostArena.allocate(DType.FP32, t, t);
            CPU.matmul(ref, host(hostArena, slice(q, h, t * hs), t, hs), false,
                    host(hostArena, slice(k, h, t * hs), t, hs), true, null, false);
            float[] r = ref.toFloatArray();
            for (int i = 0; i < t * t; i++) {
                want[h * t * t + i] = r[i] * (double) scale;
            }
        }
        cuda.synchronize();
        assertThat(relativeError(download(hostArena, att), want)).isLessThanOrEqualTo(tolerance(p));

        // y (batch, hs, hs) = k^T @ v per head: the transposed-a layout, as in the backward's dv = att^T @ dout.
        float[] v = random(batch * t * hs, 23, p.dtype());
        Tensor y = poisoned(p.dtype(), batch, hs, hs);
        cuda.matmul().matmulBatched(p, y, upload(dev, hostArena, k, p.dtype(), batch, t, hs), true,
                upload(dev, hostArena, v, p.dtype(), batch, t, hs), false, 1f, false);
        double[] wantY = new double[batch * hs * hs];
        for (int h = 0; h < batch; h++) {
            Tensor ref = hostArena.allocate(DType.FP32, hs, hs);
            CPU.matmul(ref, host(hostArena, slice(k, h, t * hs), t, hs), true,
                    host(hostArena, slice(v, h, t * hs), t, hs), false, null, false);
            float[] r = ref.toFloatArray();
            for (int i = 0; i < hs * hs; i++) {
                wantY[h * hs * hs + i] = r[i];
            }
        }
        cuda.synchronize();
        assertThat(relativeError(download(hostArena, y), wantY)).isLessThanOrEqualTo(tolerance(p));
    }

    @Test
    void aShapeIsPlannedOnce() {
        CudaMatmul mm = cuda.matmul();
        Operands o = operands(Precision.FP32, false, false, 40, 24, 8, 5);
        int before = mm.cachedPlans();
        Tensor out = dev.allocate(DType.FP32, 40, 24);
        mm.matmul(Precision.FP32, out, o.a(), false, o.b(), false, null, Epilogue.NONE, false);
        mm.matmul(Precision.FP32, out, o.a(), false, o.b(), false, null, Epilogue.NONE, true);
        assertThat(mm.cachedPlans()).isEqualTo(before + 1);
        mm.matmul(Precision.TF32, out, o.a(), false, o.b(), false, null, Epilogue.NONE, false);
        assertThat(mm.cachedPlans()).isEqualTo(before + 2);
        cuda.synchronize();
    }

    @Test
    void wrongOperandsAreRejectedBeforeCuBlasLt() {
        Operands o = operands(Precision.FP32, false, false, 8, 8, 8, 9);
        Tensor bf16Out = dev.allocate(DType.BF16, 8, 8);
        assertThatThrownBy(() -> cuda.matmul().matmul(Precision.BF16, bf16Out, o.a(), false, o.b(), false, null, Epilogue.NONE, false))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("needs BF16");
        Tensor wrong = dev.allocate(DType.FP32, 8, 9);
        assertThatThrownBy(() -> cuda.matmul().matmul(Precision.FP32, wrong, o.a(), false, o.b(), false, null, Epilogue.NONE, false))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("is not (8,9)");
    }

    private static float[] slice(float[] v, int index, int size) {
        float[] out = new float[size];
        System.arraycopy(v, index * size, out, 0, size);
        return out;
    }
}
