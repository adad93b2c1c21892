// Placeholder-free baseline GEMM for the CPU backend: correct, single-threaded, slow. The
// blocked, register-tiled Vector API version replaces the body of multiply().
package org.panatrain.kernels.cpu;

import org.panatrain.memory.Tensor;

/** out (M,N) = op(a) @ op(b) [+ bias] [+ out], FP32. */
final class CpuMatmul {
    private CpuMatmul() {
    }

    static void multiply(Tensor out, Tensor a, boolean transA, Tensor b, boolean transB, Tensor bias, boolean accumulate) {
        int m = out.rows(), n = out.dim(-1);
        int k = transA ? a.rows() : a.dim(-1);
        for (int i = 0; i < m; i++) {
            for (int j = 0; j < n; j++) {
                float s = 0f;
                for (int p = 0; p < k; p++) {
                    float av = transA ? a.getFloat((long) p * m + i) : a.getFloat((long) i * k + p);
                    float bv = transB ? b.getFloat((long) j * k + p) : b.getFloat((long) p * n + j);
                    s += av * bv;
                }
                if (bias != null) {
                    s += bias.getFloat(j);
                }
                long o = (long) i * n + j;
                out.setFloat(o, accumulate ? out.getFloat(o) + s : s);
            }
        }
    }
}
