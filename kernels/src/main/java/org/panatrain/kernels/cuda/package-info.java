/**
 * The CUDA backend: PTX kernels compiled from native-src and loaded through the driver API, with
 * cuBLASLt for the matrix products. {@link org.panatrain.kernels.cuda.CudaKernels} is the entry point.
 */
package org.panatrain.kernels.cuda;
