/**
 * The CUDA backend: the context (device, stream, cuBLASLt handle, workspace), cuBLASLt matmuls,
 * PTX modules and kernel launches, and the device report for {@code panatrain info}.
 */
package org.panatrain.kernels.cuda;
