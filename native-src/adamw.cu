// Fused AdamW over FP32 master weights, in place, in torch.optim.AdamW's order of operations:
//   m = b1 m + (1 - b1) g;   v = b2 v + (1 - b2) g^2
//   param = param * decay - stepSize * m / (sqrt(v) / sqrtBc2 + eps)
// with g = grad[i] (storage type), and from the caller, in double precision: decay = 1 - lr wd,
// stepSize = lr / (1 - b1^t), sqrtBc2 = sqrt(1 - b2^t). That is
//   param -= lr * (mhat / (sqrt(vhat) + eps) + wd * param),  mhat = m / (1 - b1^t), vhat = v / (1 - b2^t).
// param, m, v are FP32; `copy`, when not null, receives param rounded to the storage type: the
// low-precision working copy the forward reads. Name suffix = grad/copy type.
// Leaves out gradient scaling and clipping (clip.cu scales the gradients beforehand).
#include "common.cuh"

__device__ __forceinline__ float adamw_update(float p, float g, float& m, float& v, float b1, float b2, float eps,
                                              float decay, float stepSize, float sqrtBc2) {
    m = b1 * m + (1.0f - b1) * g;
    v = b2 * v + (1.0f - b2) * g * g;
    return p * decay - stepSize * m / (sqrtf(v) / sqrtBc2 + eps);
}

template <typename T>
__device__ void adamw(float* param, const T* grad, float* m, float* v, T* copy, long n, float b1, float b2, float eps,
                      float decay, float stepSize, float sqrtBc2) {
    constexpr int P = Packed128<float>::size;  // 4 elements per step: one 128-bit access per FP32 array
    long start = 0;
    if (is_aligned16(param) && is_aligned16(m) && is_aligned16(v)) {  // grad and copy are read/written per element
        const long steps = n / P;
        for (long s = global_thread(); s < steps; s += grid_threads()) {
            const long i = s * P;
            Packed128<float> pp = load128(param + i), mm = load128(m + i), vv = load128(v + i);
#pragma unroll
            for (int k = 0; k < P; k++)
                pp.v[k] = adamw_update(pp.v[k], to_float(grad[i + k]), mm.v[k], vv.v[k], b1, b2, eps, decay, stepSize, sqrtBc2);
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
        const float p = adamw_update(param[i], to_float(grad[i]), mi, vi, b1, b2, eps, decay, stepSize, sqrtBc2);
        param[i] = p;
        m[i] = mi;
        v[i] = vi;
        if (copy != nullptr) copy[i] = from_float<T>(p);
    }
}

#define ENTRY(S, T)                                                                                          \
    extern "C" __global__ void adamw_##S(float* param, const T* grad, float* m, float* v, T* copy, long n,  \
                                         float b1, float b2, float eps, float decay, float stepSize,        \
                                         float sqrtBc2) {                                                   \
        adamw<T>(param, grad, m, v, copy, n, b1, b2, eps, decay, stepSize, sqrtBc2);                         \
    }
FOR_EACH_STORAGE(ENTRY)
