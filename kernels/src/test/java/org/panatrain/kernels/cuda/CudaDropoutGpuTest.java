// CUDA dropout against the CPU backend: the same Philox masks, so FP32 dropout is bit-identical
// (one product per element on both sides) and attention with dropout on the probabilities agrees
// within the attention tolerance, forward and backward; BF16 at its tolerance. Needs a GPU:
// tagged gpu, skipped with the reason where CUDA is not available.
package org.panatrain.kernels.cuda;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assumptions.assumeTrue;
import static org.panatrain.kernels.cuda.GpuTensors.assertClose;

import java.util.Arrays;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;
import org.panatrain.bindings.Cuda;
import org.panatrain.kernels.cpu.CpuKernels;
import org.panatrain.memory.DType;
import org.panatrain.memory.DeviceArena;
import org.panatrain.memory.Tensor;

@Tag("gpu")
class CudaDropoutGpuTest {
    private static GpuTestBackends backends;
    private static CudaKernels gpu;
    private static CpuKernels cpu;
    private static DeviceArena arena;

    @BeforeAll
    static void open() {
        backends = GpuTestBackends.openOrSkip("CudaDropoutGpuTest", 1L << 28);
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

    @ParameterizedTest
    @EnumSource(value = DType.class, names = {"FP32", "BF16"})
    void dropoutMatchesCpu(DType dt) {
        for (int n : new int[] {1, 7, 4099, 100_003}) {
            for (float p : new float[] {0f, 0.1f, 0.5f}) {
                String at = " n=" + n + " p=" + p;
                long seed = 0xfeedL * n + (long) (p * 10);
                try (GpuTensors g = new GpuTensors(arena, n)) {
                    float[] x = g.uniform(n, 3, dt), d = g.uniform(n, 1, dt);
                    Tensor out = g.poisoned(dt, n);
                    gpu.dropout(out, g.device(x, dt, n), p, seed, false);
                    Tensor hOut = g.host(new float[n], n);
                    cpu.dropout(hOut, g.host(x, n), p, seed, false);
                    check("dropout" + at, hOut.toFloatArray(), g.read(out), dt);
                    Tensor acc = g.device(d, dt, n);
                    gpu.dropout(acc, g.device(x, dt, n), p, seed, true);
                    Tensor hAcc = g.host(d, n);
                    cpu.dropout(hAcc, g.host(x, n), p, seed, true);
                    check("dropout accumulate" + at, hAcc.toFloatArray(), g.read(acc), dt);
                }
            }
        }
    }

    private static void check(String what, float[] want, float[] got, DType dt) {
        if (dt == DType.FP32) {
            assertThat(got).as(what).containsExactly(want);
        } else {
            assertClose(what, GpuTensors.round(want, dt), got, dt);
        }
    }

    @ParameterizedTest
    @EnumSource(value = DType.class, names = {"FP32", "BF16"})
    void attentionWithDropoutMatchesCpu(DType dt) {
        assumeTrue(Cuda.availability().cublasLtAvailable(), "cuBLASLt is not available: " + Cuda.availability().cublasLtReason());
        int[][] shapes = {{1, 1, 4, 1}, {2, 7, 12, 3}, {2, 64, 128, 4}, {1, 130, 96, 2}}; // B T C NH
        float p = 0.2f;
        for (int[] s : shapes) {
            int B = s[0], T = s[1], C = s[2], NH = s[3];
            long seed = 99L * T + C;
            String at = " " + Arrays.toString(s);
            try (GpuTensors g = new GpuTensors(arena, B * T * C)) {
                float[] qkv = g.uniform(B * T * 3 * C, 1, dt), dout = g.uniform(B * T * C, 1, dt);
                float[] dqkv = g.uniform(B * T * 3 * C, 1, dt);
                Tensor gqkv = g.device(qkv, dt, B, T, 3 * C);
                Tensor out = g.poisoned(dt, B, T, C), att = g.poisoned(dt, B, NH, T, T);
                gpu.attentionForward(out, att, gqkv, NH, p, seed);
                Tensor hOut = g.host(new float[B * T * C], B, T, C), hAtt = g.host(new float[B * NH * T * T], B, NH, T, T);
                Tensor hqkv = g.host(qkv, B, T, 3 * C);
                cpu.attentionForward(hOut, hAtt, hqkv, NH, p, seed);
                assertClose("attentionForward out" + at, hOut.toFloatArray(), g.read(out), dt);
                assertClose("attentionForward att" + at, hAtt.toFloatArray(), g.read(att), dt);

                Tensor gd = g.device(dqkv, dt, B, T, 3 * C);
                gpu.attentionBackward(gd, g.poisoned(dt, B, NH, T, T), g.device(dout, dt, B, T, C), gqkv, att, NH, p, seed);
                Tensor hd = g.host(dqkv, B, T, 3 * C);
                float[] attUsed = dt == DType.FP32 ? hAtt.toFloatArray() : g.read(att); // the GPU's stored probabilities
                cpu.attentionBackward(hd, g.host(new float[B * NH * T * T], B, NH, T, T), g.host(dout, B, T, C), hqkv,
                        g.host(attUsed, B, NH, T, T), NH, p, seed);
                assertClose("attentionBackward dqkv" + at, hd.toFloatArray(), g.read(gd), dt);
            }
        }
    }
}
