// Fused Lion over FP32 master weights, in place (Chen et al. 2023, Algorithm 2):
//   c = b1 m + (1 - b1) g;   param = param * decay - lr * sign(c);   m = b2 m + (1 - b2) g
// with g = grad[i] (storage type), decay = 1 - lr wd from the caller, and sign(0) = 0, sign(NaN)
// = NaN as torch.sign. param and m are FP32. Name suffix = grad type. Leaves out gradient clipping
// (clip.cu scales the gradients beforehand).
#include "common.cuh"

__device__ __forceinline__ float lion_update(float p, float g, float& m, float lr, float b1, float b2, float decay) {
    const float c = b1 * m + (1.0f - b1) * g;
    const float sign = c > 0.0f ? 1.0f : c < 0.0f ? -1.0f : c;  // c itself for 0 and NaN
    m = b2 * m + (1.0f - b2) * g;
    return p * decay - lr * sign;
}

template <typename T>
__device__ void lion(float* param, const T* grad, float* m, long n, float lr, float b1, float b2, float decay) {
    constexpr int P = Packed128<float>::size;  // 4 elements per step: one 128-bit access per FP32 array
    long start = 0;
    if (is_aligned16(param) && is_aligned16(m)) {  // grad is read per element
        const long steps = n / P;
        for (long s = global_thread(); s < steps; s += grid_threads()) {
            const long i = s * P;
            Packed128<float> pp = load128(param + i), mm = load128(m + i);
#pragma unroll
            for (int k = 0; k < P; k++) pp.v[k] = lion_update(pp.v[k], to_float(grad[i + k]), mm.v[k], lr, b1, b2, decay);
            store128(param + i, pp);
            store128(m + i, mm);
        }
        start = steps * P;
    }
    for (long i = start + global_thread(); i < n; i += grid_threads()) {
        float mi = m[i];
        param[i] = lion_update(param[i], to_float(grad[i]), mi, lr, b1, b2, decay);
        m[i] = mi;
    }
}

#define ENTRY(S, T)                                                                                           \
    extern "C" __global__ void lion_##S(float* param, const T* grad, float* m, long n, float lr, float b1,   \
                                        float b2, float decay) {                                             \
        lion<T>(param, grad, m, n, lr, b1, b2, decay);                                                       \
    }
FOR_EACH_STORAGE(ENTRY)
