// GELU, tanh approximation (GPT-2's), forward and backward, for every storage type.
//   forward:  out = 0.5 x (1 + tanh(u)),  u = sqrt(2/pi) (x + 0.044715 x^3)
//   backward: dinp += dout * (0.5 (1 + tanh(u)) + 0.5 x (1 - tanh(u)^2) sqrt(2/pi) (1 + 3 * 0.044715 x^2))
// The backward accumulates into dinp (the Kernels contract). Precise tanhf, not the approximate
// instruction: these kernels are memory-bound, so accuracy is free.
#include "common.cuh"

#define GELU_SCALE 0.7978845608028654f  // sqrt(2/pi)

__device__ __forceinline__ float gelu(float x) {
    const float u = GELU_SCALE * (x + 0.044715f * x * x * x);
    return 0.5f * x * (1.0f + tanhf(u));
}

__device__ __forceinline__ float gelu_grad(float x) {
    const float u = GELU_SCALE * (x + 0.044715f * x * x * x);
    const float th = tanhf(u);
    const float sech2 = 1.0f - th * th;
    return 0.5f * (1.0f + th) + 0.5f * x * sech2 * GELU_SCALE * (1.0f + 3.0f * 0.044715f * x * x);
}

template <typename T> __device__ void gelu_forward(T* out, const T* inp, long n) {
    pointwise<T>(out, inp, nullptr, n, false, [](float, float x, float) { return gelu(x); });
}
template <typename T> __device__ void gelu_backward(T* dinp, const T* inp, const T* dout, long n) {
    pointwise<T>(dinp, inp, dout, n, true, [](float d, float x, float g) { return d + gelu_grad(x) * g; });
}

#define ENTRY(S, T)                                                                                     \
    extern "C" __global__ void gelu_forward_##S(T* out, const T* inp, long n) { gelu_forward<T>(out, inp, n); } \
    extern "C" __global__ void gelu_backward_##S(T* dinp, const T* inp, const T* dout, long n) {      \
        gelu_backward<T>(dinp, inp, dout, n);                                                           \
    }
FOR_EACH_STORAGE(ENTRY)
