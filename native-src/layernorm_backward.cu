// LayerNorm backward, accumulating (Kernels contract). With norm = (x - mean) * rstd and
// dnorm = dout * weight, for each row n (one warp per row):
//   dinp[n,c] += rstd[n] * (dnorm[n,c] - mean_c(dnorm[n,:]) - norm[n,c] * mean_c(dnorm[n,:] * norm[n,:]))
// and for the parameters, in two deterministic passes (no atomics):
//   partials[g, c]     = sum_{n in chunk g} dout[n,c] * norm[n,c]    (layernorm_backward_params_partial)
//   partials[g, C + c] = sum_{n in chunk g} dout[n,c]
//   dweight[c] += sum_g partials[g, c];  dbias[c] += sum_g partials[g, C + c]   (column_sums_finalize,
//   in column_sums.cu, launched once for each with ld = 2C)
// Row chunks: chunk g holds rows [g * rowsPerChunk, (g+1) * rowsPerChunk); the caller picks the
// chunk count and keeps it fixed, so the summation order, and the result, never change.
#include "common.cuh"

template <typename T, bool VEC>
__device__ void layernorm_backward_row(T* dinp, const T* dout, const T* x, const T* weight, float m, float s, int C) {
    constexpr int S = RowStep<T, VEC>::S;
    const int lane = threadIdx.x & 31;
    float g[S], v[S], w[S], d[S];
    float sum_dnorm = 0.0f, sum_dnorm_norm = 0.0f;
    for (int c = lane * S; c < C; c += 32 * S) {
        load_row<T, VEC>(dout + c, g);
        load_row<T, VEC>(x + c, v);
        load_row<T, VEC>(weight + c, w);
#pragma unroll
        for (int k = 0; k < S; k++) {
            const float dnorm = g[k] * w[k];
            sum_dnorm += dnorm;
            sum_dnorm_norm += dnorm * (v[k] - m) * s;
        }
    }
    const float mean_dnorm = warp_sum(sum_dnorm) / C;
    const float mean_dnorm_norm = warp_sum(sum_dnorm_norm) / C;
    for (int c = lane * S; c < C; c += 32 * S) {
        load_row<T, VEC>(dout + c, g);
        load_row<T, VEC>(x + c, v);
        load_row<T, VEC>(weight + c, w);
        load_row<T, VEC>(dinp + c, d);
#pragma unroll
        for (int k = 0; k < S; k++) {
            const float norm = (v[k] - m) * s;
            d[k] += s * (g[k] * w[k] - mean_dnorm - norm * mean_dnorm_norm);
        }
        store_row<T, VEC>(dinp + c, d);
    }
}

template <typename T>
__device__ void layernorm_backward_input(T* dinp, const T* dout, const T* inp, const T* weight, const float* mean,
                                         const float* rstd, int N, int C) {
    const int n = (int)((blockIdx.x * (long)blockDim.x + threadIdx.x) >> 5);
    if (n >= N) return;
    const long row = (long)n * C;
    const bool vec = C % Packed128<T>::size == 0 && is_aligned16(dinp) && is_aligned16(dout) && is_aligned16(inp)
                     && is_aligned16(weight);
    if (vec) layernorm_backward_row<T, true>(dinp + row, dout + row, inp + row, weight, mean[n], rstd[n], C);
    else layernorm_backward_row<T, false>(dinp + row, dout + row, inp + row, weight, mean[n], rstd[n], C);
}

// grid (ceil(C / blockDim.x), chunks); thread = one column of one chunk; a warp reads 32 adjacent columns.
template <typename T>
__device__ void layernorm_backward_params_partial(float* partials, const T* dout, const T* inp, const float* mean,
                                                  const float* rstd, int N, int C, int rowsPerChunk) {
    const int c = blockIdx.x * blockDim.x + threadIdx.x;
    if (c >= C) return;
    const int first = blockIdx.y * rowsPerChunk, last = min(N, first + rowsPerChunk);
    float dw = 0.0f, db = 0.0f;
    for (int n = first; n < last; n++) {
        const float g = to_float(dout[(long)n * C + c]);
        dw += g * (to_float(inp[(long)n * C + c]) - mean[n]) * rstd[n];
        db += g;
    }
    partials[(long)blockIdx.y * 2 * C + c] = dw;
    partials[(long)blockIdx.y * 2 * C + C + c] = db;
}

#define ENTRY(S, T)                                                                                           \
    extern "C" __global__ void layernorm_backward_input_##S(T* dinp, const T* dout, const T* inp, const T* weight, \
                                                            const float* mean, const float* rstd, int N, int C) { \
        layernorm_backward_input<T>(dinp, dout, inp, weight, mean, rstd, N, C);                               \
    }                                                                                                         \
    extern "C" __global__ void layernorm_backward_params_partial_##S(float* partials, const T* dout, const T* inp, \
                                                                     const float* mean, const float* rstd,    \
                                                                     int N, int C, int rowsPerChunk) {        \
        layernorm_backward_params_partial<T>(partials, dout, inp, mean, rstd, N, C, rowsPerChunk);            \
    }
FOR_EACH_STORAGE(ENTRY)
