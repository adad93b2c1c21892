// The CPU backend's matmul (CpuMatmul, package-private) made reachable from the CUDA tests,
// which use it as their reference. It leaves out everything else: when CpuKernels lands, the
// CUDA tests can call it instead.
package org.panatrain.kernels.cpu;

import org.panatrain.memory.Tensor;

/** Test access to the CPU backend's FP32 matmul. */
public final class CpuReference {
    private CpuReference() {
    }

    /** out (M,N) = op(a) @ op(b) [+ bias] [+ out], as Kernels.matmul, on host FP32 tensors. */
    public static void matmul(Tensor out, Tensor a, boolean transA, Tensor b, boolean transB, Tensor bias, boolean accumulate) {
        CpuMatmul.multiply(out, a, transA, b, transB, bias, accumulate);
    }
}
