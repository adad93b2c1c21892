// Fused scale + causal mask + softmax of attention scores, forward and backward; the batched
// products around it (preatt = q k^T, out = att v, and their gradients) are cuBLASLt's.
// Rows r = (b*NH + h)*T + t of a (B*NH, T, T) tensor, one warp per row, s = 1/sqrt(HS):
//   forward:  att[r, u] = exp(s*preatt[r,u] - mx) / sum_{u' <= t} exp(s*preatt[r,u'] - mx)   for u <= t
//             att[r, u] = 0                                                                 for u > t
//             mx = max_{u <= t} s*preatt[r,u];   att may be preatt (in place).
//   backward: dpreatt[r, u] = s * att[r,u] * (datt[r,u] - sum_{u' <= t} att[r,u'] datt[r,u'])  for u <= t,
//             0 above; written over datt (in place: the Kernels contract overwrites the scratch).
// The scores above the diagonal are never read, so whatever the product left there is harmless.
#include "common.cuh"

template <typename T, bool VEC>
__device__ void softmax_forward_row(T* att, const T* preatt, int t, int T_, float s) {
    constexpr int S = RowStep<T, VEC>::S;
    const int lane = threadIdx.x & 31;
    float x[S];
    float mx = -INFINITY;
    for (int u = lane * S; u <= t; u += 32 * S) {
        load_row<T, VEC>(preatt + u, x);
#pragma unroll
        for (int k = 0; k < S; k++) if (u + k <= t) mx = fmaxf(mx, s * x[k]);
    }
    mx = warp_max(mx);
    float sum = 0.0f;
    for (int u = lane * S; u <= t; u += 32 * S) {
        load_row<T, VEC>(preatt + u, x);
#pragma unroll
        for (int k = 0; k < S; k++) if (u + k <= t) sum += expf(s * x[k] - mx);
    }
    const float inv = 1.0f / warp_sum(sum);
    for (int u = lane * S; u < T_; u += 32 * S) {
        if (u <= t) load_row<T, VEC>(preatt + u, x);
#pragma unroll
        for (int k = 0; k < S; k++) x[k] = u + k <= t ? expf(s * x[k] - mx) * inv : 0.0f;
        store_row<T, VEC>(att + u, x);
    }
}

template <typename T, bool VEC>
__device__ void softmax_backward_row(T* dpreatt, const T* att, int t, int T_, float s) {
    constexpr int S = RowStep<T, VEC>::S;
    const int lane = threadIdx.x & 31;
    float a[S], d[S];
    float dot = 0.0f;
    for (int u = lane * S; u <= t; u += 32 * S) {
        load_row<T, VEC>(att + u, a);
        load_row<T, VEC>(dpreatt + u, d);
#pragma unroll
        for (int k = 0; k < S; k++) if (u + k <= t) dot += a[k] * d[k];
    }
    dot = warp_sum(dot);
    for (int u = lane * S; u < T_; u += 32 * S) {
        if (u <= t) {
            load_row<T, VEC>(att + u, a);
            load_row<T, VEC>(dpreatt + u, d);
        }
#pragma unroll
        for (int k = 0; k < S; k++) d[k] = u + k <= t ? s * a[k] * (d[k] - dot) : 0.0f;
        store_row<T, VEC>(dpreatt + u, d);
    }
}

__device__ __forceinline__ long warp_row_index() { return (blockIdx.x * (long)blockDim.x + threadIdx.x) >> 5; }

template <typename T>
__device__ void attention_softmax_forward(T* att, const T* preatt, int BNH, int T_, float s) {
    const long r = warp_row_index();
    if (r >= (long)BNH * T_) return;
    const int t = (int)(r % T_);
    if (T_ % Packed128<T>::size == 0 && is_aligned16(att) && is_aligned16(preatt))
        softmax_forward_row<T, true>(att + r * T_, preatt + r * T_, t, T_, s);
    else
        softmax_forward_row<T, false>(att + r * T_, preatt + r * T_, t, T_, s);
}

template <typename T>
__device__ void attention_softmax_backward(T* dpreatt, const T* att, int BNH, int T_, float s) {
    const long r = warp_row_index();
    if (r >= (long)BNH * T_) return;
    const int t = (int)(r % T_);
    if (T_ % Packed128<T>::size == 0 && is_aligned16(dpreatt) && is_aligned16(att))
        softmax_backward_row<T, true>(dpreatt + r * T_, att + r * T_, t, T_, s);
    else
        softmax_backward_row<T, false>(dpreatt + r * T_, att + r * T_, t, T_, s);
}

#define ENTRY(S, T)                                                                                              \
    extern "C" __global__ void attention_softmax_forward_##S(T* att, const T* preatt, int BNH, int T_, float scale) { \
        attention_softmax_forward<T>(att, preatt, BNH, T_, scale);                                              \
    }                                                                                                            \
    extern "C" __global__ void attention_softmax_backward_##S(T* dpreatt, const T* att, int BNH, int T_, float scale) { \
        attention_softmax_backward<T>(dpreatt, att, BNH, T_, scale);                                            \
    }
FOR_EACH_STORAGE(ENTRY)
