// LayerNorm forward, and the fused residual-add + LayerNorm forward, one warp per row:
//   mean[n] = (1/C) sum_c x[n,c]
//   rstd[n] = 1 / sqrt((1/C) sum_c (x[n,c] - mean[n])^2 + 1e-5)      (biased variance)
//   out[n,c] = (x[n,c] - mean[n]) * rstd[n] * weight[c] + bias[c]
// plain:  x = inp (N,C);  fused: residual (N,C) = a + b is stored first, then x = residual.
// Two passes over the row for the variance (no E[x^2]-E[x]^2 cancellation); the second and third
// reads hit L1/L2. mean and rstd are FP32 whatever the storage type; weight and bias share it.
#include "common.cuh"

template <typename T, bool VEC>
__device__ void layernorm_row(T* out, float* mean, float* rstd, const T* x, const T* weight, const T* bias,
                              int n, int C) {
    constexpr int S = RowStep<T, VEC>::S;
    const int lane = threadIdx.x & 31;
    float v[S], w[S], b[S];
    float sum = 0.0f;
    for (int c = lane * S; c < C; c += 32 * S) {
        load_row<T, VEC>(x + c, v);
#pragma unroll
        for (int k = 0; k < S; k++) sum += v[k];
    }
    const float m = warp_sum(sum) / C;
    float sq = 0.0f;
    for (int c = lane * S; c < C; c += 32 * S) {
        load_row<T, VEC>(x + c, v);
#pragma unroll
        for (int k = 0; k < S; k++) sq += (v[k] - m) * (v[k] - m);
    }
    const float s = rsqrtf(warp_sum(sq) / C + 1e-5f);
    for (int c = lane * S; c < C; c += 32 * S) {
        load_row<T, VEC>(x + c, v);
        load_row<T, VEC>(weight + c, w);
        load_row<T, VEC>(bias + c, b);
#pragma unroll
        for (int k = 0; k < S; k++) v[k] = (v[k] - m) * s * w[k] + b[k];
        store_row<T, VEC>(out + c, v);
    }
    if (lane == 0) {
        mean[n] = m;
        rstd[n] = s;
    }
}

// residual[n,:] = a[n,:] + b[n,:], each lane storing what it later reads back itself.
template <typename T, bool VEC>
__device__ void residual_row(T* residual, const T* a, const T* b, int C) {
    constexpr int S = RowStep<T, VEC>::S;
    float x[S], y[S];
    for (int c = (threadIdx.x & 31) * S; c < C; c += 32 * S) {
        load_row<T, VEC>(a + c, x);
        load_row<T, VEC>(b + c, y);
#pragma unroll
        for (int k = 0; k < S; k++) x[k] += y[k];
        store_row<T, VEC>(residual + c, x);
    }
    __syncwarp();
}

__device__ __forceinline__ int warp_row() { return (int)((blockIdx.x * (long)blockDim.x + threadIdx.x) >> 5); }

template <typename T>
__device__ void layernorm_forward(T* out, float* mean, float* rstd, const T* inp, const T* weight, const T* bias,
                                  int N, int C) {
    const int n = warp_row();
    if (n >= N) return;
    const long row = (long)n * C;
    const bool vec = C % Packed128<T>::size == 0 && is_aligned16(out) && is_aligned16(inp)
                     && is_aligned16(weight) && is_aligned16(bias);
    if (vec) layernorm_row<T, true>(out + row, mean, rstd, inp + row, weight, bias, n, C);
    else layernorm_row<T, false>(out + row, mean, rstd, inp + row, weight, bias, n, C);
}

template <typename T>
__device__ void residual_layernorm_forward(T* residual, T* out, float* mean, float* rstd, const T* a, const T* b,
                                           const T* weight, const T* bias, int N, int C) {
    const int n = warp_row();
    if (n >= N) return;
    const long row = (long)n * C;
    const bool vec = C % Packed128<T>::size == 0 && is_aligned16(residual) && is_aligned16(out) && is_aligned16(a)
                     && is_aligned16(b) && is_aligned16(weight) && is_aligned16(bias);
    if (vec) {
        residual_row<T, true>(residual + row, a + row, b + row, C);
        layernorm_row<T, true>(out + row, mean, rstd, residual + row, weight, bias, n, C);
    } else {
        residual_row<T, false>(residual + row, a + row, b + row, C);
        layernorm_row<T, false>(out + row, mean, rstd, residual + row, weight, bias, n, C);
    }
}

#define ENTRY(S, T)                                                                                        \
    extern "C" __global__ void layernorm_forward_##S(T* out, float* mean, float* rstd, const T* inp,       \
                                                     const T* weight, const T* bias, int N, int C) {      \
        layernorm_forward<T>(out, mean, rstd, inp, weight, bias, N, C);                                    \
    }                                                                                                      \
    extern "C" __global__ void residual_layernorm_forward_##S(T* residual, T* out, float* mean, float* rstd, \
                                                              const T* a, const T* b, const T* weight,    \
                                                              const T* bias, int N, int C) {              \
        residual_layernorm_forward<T>(residual, out, mean, rstd, a, b, weight, bias, N, C);                \
    }
FOR_EACH_STORAGE(ENTRY)
