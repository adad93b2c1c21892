// Fused AdamW over FP32 master weights (PyTorch's torch.optim.AdamW semantics), in place:
//   m = b1 m + (1 - b1) g;   v = b2 v + (1 - b2) g^2
//   param -= lr * ((m / bc1) / (sqrt(v / bc2) + eps) + wd * param)
// with g = grad[i] (storage type), bc1 = 1 - b1^t and bc2 = 1 - b2^t computed by the caller in
// double precision. param, m, v are FP32; `copy`, when not null, receives param rounded to the
// storage type: the low-precision working copy the forward reads. Name suffix = grad/copy type.
// Leaves out gradient scaling and clipping (clip.cu scales the gradients beforehand).
#include "common.cuh"

__device__ __forceinline__ float adamw_update(float p, float g, float& m, float& v, float lr, float b1, float b2,
                                              float eps, float wd, float bc1, float bc2) {
    m = b1 * m + (1.0f - b1) * g;
    v = b2 * v + (1.0f - b2) * g * g;
    return p - lr * ((m / bc1) / (sqrtf(v / bc2) + eps) + wd * p);
}

template <typename T>
__device__ void adamw(float* param, const T* grad, float* m, float* v, T* copy, long n, float lr, float b1, float b2,
                      float eps, float wd, float bc1, float bc2) {
    constexpr int P = Packed128<float>::size;  // 4 elements per step: one 128-bit access per FP32 array
    long start = 0;
    if (is_aligned16(param) && is_aligned16(m) && is_aligned16(v) && ((reinterpret_cast<uintptr_t>(grad) | reinterpret_cast<uintptr_t>(copy)) & (P * sizeof(T) - 1)) == 0) {
        const long steps = n / P;
        for (long s = global_thread(); s < steps; s += grid_threads()) {
            const long i = s * P;
            Packed128<float> pp = load128(param + i), mm = load128(m + i), vv = load128(v + i);
#pragma unroll
            for (int k = 0; k < P; k++)
                pp.v[k] = adamw_update(pp.v[k], to_float(grad[i + k]), mm.v[k], vv.v[k], lr, b1, b2, eps, wd, bc1, bc2);
            store128(param + i, pp);
            store128(m + i, mm);
            store128(v + i, vv);
            if (copy != nullptr)
#pragma unroll
                for (int k = 0; k < P; k++) copy[i + k] = from_float<T>(pp.v[k]);
        }
        start = steps * P;
    }
    for (long i = start + global_thread(); i < n; i += grid_threads()) {
        float mi = m[i], vi = v[i];
        const float p = adamw_update(param[i], to_float(grad[i]), mi, vi, lr, b1, b2, eps, wd, bc1, bc2);
        param[i] = p;
        m[i] = mi;
        v[i] = vi;
        if (copy != nullptr) copy[i] = from_float<T>(p);
    }
}

#define ENTRY(S, T)                                                                                          \
    extern "C" __global__ void adamw_##S(float* param, const T* grad, float* m, float* v, T* copy, long n,  \
                                         float lr, float b1, float b2, float eps, float wd, float bc1, float bc2) { \
        adamw<T>(param, grad, m, v, copy, n, lr, b1, b2, eps, wd, bc1, bc2);                                 \
    }
FOR_EACH_STORAGE(ENTRY)
