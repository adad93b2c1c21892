// Deterministic column sums of a (N, C) matrix, in two passes without atomics:
//   column_sums_partial:  partials[g, c] = sum_{n in chunk g} x[n, c]      (chunk g = rows
//                         [g * rowsPerChunk, (g+1) * rowsPerChunk); grid (ceil(C / blockDim.x), chunks))
//   column_sums_finalize: out[c] += sum_{g < chunks} partials[g * ld + c]  (in order of g)
// Bias backward is the pair (dbias += column sums of dout); layernorm backward reuses the finalize
// pass with ld = 2C on its own partials. The partials are FP32; out has the storage type.
#include "common.cuh"

template <typename T>
__device__ void column_sums_partial(float* partials, const T* x, int N, int C, int rowsPerChunk) {
    const int c = blockIdx.x * blockDim.x + threadIdx.x;
    if (c >= C) return;
    const int first = blockIdx.y * rowsPerChunk, last = min(N, first + rowsPerChunk);
    float sum = 0.0f;
    for (int n = first; n < last; n++) sum += to_float(x[(long)n * C + c]);
    partials[(long)blockIdx.y * C + c] = sum;
}

template <typename T>
__device__ void column_sums_finalize(T* out, const float* partials, int chunks, int C, int ld) {
    const int c = blockIdx.x * blockDim.x + threadIdx.x;
    if (c >= C) return;
    float sum = 0.0f;
    for (int g = 0; g < chunks; g++) sum += partials[(long)g * ld + c];
    out[c] = from_float<T>(to_float(out[c]) + sum);
}

#define ENTRY(S, T)                                                                                          \
    extern "C" __global__ void column_sums_partial_##S(float* partials, const T* x, int N, int C, int rowsPerChunk) { \
        column_sums_partial<T>(partials, x, N, C, rowsPerChunk);                                             \
    }                                                                                                        \
    extern "C" __global__ void column_sums_finalize_##S(T* out, const float* partials, int chunks, int C, int ld) { \
        column_sums_finalize<T>(out, partials, chunks, C, ld);                                               \
    }
FOR_EACH_STORAGE(ENTRY)
