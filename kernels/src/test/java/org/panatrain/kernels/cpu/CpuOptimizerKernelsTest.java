// The CPU backend's Lion, Adafactor and AdamW8bit ops beyond what the engine's optimizer tests
// check against float64 (those run one thread): the thread count never changes a bit of the
// result (tensors spanning several scheduling blocks and sum pieces, 1 and 3 threads), Lion's
// sign(0) = 0 and NaN propagation in both the vector body and the scalar tail (values worked out
// here), and the arguments each op refuses.
package org.panatrain.kernels.cpu;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.Random;
import org.junit.jupiter.api.Test;
import org.panatrain.memory.DType;
import org.panatrain.memory.HostArena;
import org.panatrain.memory.Tensor;

class CpuOptimizerKernelsTest {
    private static final int ROWS = 701;   // 701 x 40 = 28040 elements: two Adafactor pieces, 110 quantization blocks
    private static final int COLS = 40;

    @Test
    void threadCountChangesNoBitOfAnyOptimizer() {
        float[][] one = runAll(1);
        float[][] three = runAll(3);
        for (int i = 0; i < one.length; i++) {
            assertThat(three[i]).as("result %d with 3 threads vs 1", i).isEqualTo(one[i]);
        }
    }

    /** Two steps of each op on the same random data; every tensor written, as float arrays. */
    private static float[][] runAll(int threads) {
        try (CpuKernels k = CpuKernels.create(threads); HostArena arena = new HostArena()) {
            Random random = new Random(3);
            int n = ROWS * COLS;
            Tensor grad = gaussian(arena, random, 1f, ROWS, COLS);
            Tensor lionW = gaussian(arena, random, 1f, ROWS, COLS);
            Tensor lionM = arena.allocate(DType.FP32, ROWS, COLS);
            Tensor adafactorW = gaussian(arena, random, 1f, ROWS, COLS);
            Tensor row = arena.allocate(DType.FP32, ROWS);
            Tensor column = arena.allocate(DType.FP32, COLS);
            Tensor vectorW = gaussian(arena, random, 1f, n);
            Tensor vectorV = arena.allocate(DType.FP32, n);
            Tensor adamW = gaussian(arena, random, 1f, ROWS, COLS);
            Tensor codesM = arena.allocate(DType.INT8, n);
            Tensor codesV = arena.allocate(DType.INT8, n);
            int blocks = (n + 255) / 256;
            Tensor absmaxM = arena.allocate(DType.FP32, blocks);
            Tensor absmaxV = arena.allocate(DType.FP32, blocks);
            Tensor flatGrad = grad.slice(0, n);
            for (int t = 1; t <= 2; t++) {
                k.lion(lionW, grad, lionM, 1e-3f, 0.9f, 0.99f, 0.1f);
                k.adafactorMoments(grad, row, column, 0.5f, 1e-30f);
                k.adafactorUpdate(adafactorW, grad, row, column, 1e-2f, 0.1f, 1f);
                k.adafactorMoments(flatGrad, vectorV, null, 0.5f, 1e-30f);
                k.adafactorUpdate(vectorW, flatGrad, vectorV, null, 1e-2f, 0f, 1f);
                k.adamW8bit(adamW, grad, codesM, absmaxM, codesV, absmaxV, 256, 1e-3f, 0.9f, 0.95f, 1e-8f, 0.1f, t);
            }
            return new float[][] {lionW.toFloatArray(), lionM.toFloatArray(), adafactorW.toFloatArray(),
                    row.toFloatArray(), column.toFloatArray(), vectorW.toFloatArray(), vectorV.toFloatArray(),
                    adamW.toFloatArray(), absmaxM.toFloatArray(), absmaxV.toFloatArray(), bytes(codesM), bytes(codesV)};
        }
    }

    @Test
    void lionSignIsZeroAtZeroAndNanPropagatesInVectorLanesAndTail() {
        int n = 2 * Vec.L + 3; // two full vectors and a tail of 3
        try (CpuKernels k = CpuKernels.create(1); HostArena arena = new HostArena()) {
            Tensor w = arena.allocate(DType.FP32, n);
            Tensor g = arena.allocate(DType.FP32, n);
            Tensor m = arena.allocate(DType.FP32, n);
            for (int i = 0; i < n; i++) {
                w.setFloat(i, 2f);
                g.setFloat(i, i % 3 == 0 ? 0f : i % 3 == 1 ? -4f : Float.NaN);
            }
            k.lion(w, g, m, 0.5f, 0.9f, 0.99f, 0.25f);
            for (int i = 0; i < n; i++) {
                // decay 1 - 0.5 * 0.25 = 0.875: w = 1.75 - 0.5 sign(0.1 g); m = (1 - 0.99) g in float
                float want = i % 3 == 0 ? 1.75f : i % 3 == 1 ? 2.25f : Float.NaN;
                Float wantM = i % 3 == 0 ? 0f : i % 3 == 1 ? (1f - 0.99f) * -4f : Float.NaN;
                assertThat(Float.valueOf(w.getFloat(i))).as("w[%d]", i).isEqualTo(Float.valueOf(want)); // boxed: NaN equals NaN
                assertThat(Float.valueOf(m.getFloat(i))).as("m[%d]", i).isEqualTo(wantM);
            }
        }
    }

    @Test
    void refusesMismatchedArguments() {
        try (CpuKernels k = CpuKernels.create(1); HostArena arena = new HostArena()) {
            Tensor w = arena.allocate(DType.FP32, 4, 8);
            Tensor g = arena.allocate(DType.FP32, 4, 8);
            Tensor small = arena.allocate(DType.FP32, 5);
            Tensor codes = arena.allocate(DType.INT8, 32);
            Tensor absmax = arena.allocate(DType.FP32, 1);
            assertThatThrownBy(() -> k.lion(w, g, small, 1f, 0.9f, 0.99f, 0f)).hasMessageContaining("lion: m");
            assertThatThrownBy(() -> k.adafactorMoments(g, small, arena.allocate(DType.FP32, 8), 0.5f, 1e-30f))
                    .hasMessageContaining("adafactorMoments: row");
            assertThatThrownBy(() -> k.adafactorUpdate(w, g, small, null, 1f, 0f, 1f))
                    .hasMessageContaining("adafactorUpdate: row");
            assertThatThrownBy(() -> k.adamW8bit(w, g, codes, absmax, codes, small, 32, 1f, 0.9f, 0.95f, 1e-8f, 0f, 1))
                    .hasMessageContaining("adamW8bit: absmaxV");
            assertThatThrownBy(() -> k.adamW8bit(w, g, w, absmax, codes, absmax, 32, 1f, 0.9f, 0.95f, 1e-8f, 0f, 1))
                    .hasMessageContaining("adamW8bit: codesM");
        }
    }

    private static Tensor gaussian(HostArena arena, Random random, float scale, int... shape) {
        Tensor t = arena.allocate(DType.FP32, shape);
        for (long i = 0; i < t.numel(); i++) {
            t.setFloat(i, (float) (scale * random.nextGaussian()));
        }
        return t;
    }

    private static float[] bytes(Tensor codes) {
        float[] out = new float[Math.toIntExact(codes.numel())];
        for (int i = 0; i < out.length; i++) {
            out[i] = codes.data().get(java.lang.foreign.ValueLayout.JAVA_BYTE, i) & 0xFF;
        }
        return out;
    }
}
