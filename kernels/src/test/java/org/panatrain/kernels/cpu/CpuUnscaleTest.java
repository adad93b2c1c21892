// The CPU backend's fused unscale (Kernels.unscaleAndCheckFinite) against references written
// here: every element equals x * factor in float arithmetic, over tensors of odd sizes spanning
// several reduction pieces, and the flag says whether any value was NaN or infinite beforehand,
// whatever the thread count.
package org.panatrain.kernels.cpu;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.List;
import java.util.Random;
import org.junit.jupiter.api.Test;
import org.panatrain.memory.DType;
import org.panatrain.memory.HostArena;
import org.panatrain.memory.Tensor;

class CpuUnscaleTest {
    static final float FACTOR = 1f / 65536;

    @Test
    void scalesEveryElementAndFlagsNonFiniteValues() {
        for (int threads : new int[] {1, 3}) {
            for (float bad : new float[] {Float.NaN, Float.POSITIVE_INFINITY, Float.NEGATIVE_INFINITY, 0f}) {
                try (CpuKernels k = CpuKernels.create(threads); HostArena arena = new HostArena()) {
                    Random random = new Random(threads);
                    int[] sizes = {7, 3 * CpuReductions.CHUNK + 5, 1};
                    Tensor[] tensors = new Tensor[sizes.length];
                    float[][] before = new float[sizes.length][];
                    for (int t = 0; t < sizes.length; t++) {
                        before[t] = new float[sizes[t]];
                        for (int i = 0; i < sizes[t]; i++) {
                            before[t][i] = (float) random.nextGaussian() * 3e4f;
                        }
                        tensors[t] = arena.allocate(DType.FP32, sizes[t]);
                        tensors[t].copyFrom(before[t]);
                    }
                    tensors[1].setFloat(2 * CpuReductions.CHUNK + 1, bad);   // in a later piece of a later tensor
                    before[1][2 * CpuReductions.CHUNK + 1] = bad;
                    Tensor flag = arena.allocate(DType.FP32, 1);
                    flag.setFloat(0, 7f);
                    k.unscaleAndCheckFinite(flag, List.of(tensors), FACTOR);
                    assertThat(flag.getFloat(0)).as("flag with %s, %d threads", bad, threads).isEqualTo(Float.isFinite(bad) ? 0f : 1f);
                    for (int t = 0; t < sizes.length; t++) {
                        float[] got = tensors[t].toFloatArray();
                        for (int i = 0; i < sizes[t]; i++) {
                            assertThat(Float.floatToIntBits(got[i])).as("tensor %d element %d", t, i)
                                    .isEqualTo(Float.floatToIntBits(before[t][i] * FACTOR));
                        }
                    }
                }
            }
        }
    }
}
