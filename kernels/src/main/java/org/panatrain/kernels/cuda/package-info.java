/**
 * The CUDA backend: the context (device, stream, cuBLASLt handle, workspace), cuBLASLt matmuls,
 * PTX modules and kernel launches, the device report for {@code panatrain info}, and
 * {@link org.panatrain.kernels.cuda.CudaKernels}, the Kernels implementation built on them with
 * the PTX compiled from native-src.
 */
package org.panatrain.kernels.cuda;
