// Clipping by global norm (PyTorch's clip_grad_norm_), given the sum of squares from global_norm.cu:
//   factor = min(1, maxNorm / (sqrt(sumsq[0]) + 1e-6));   x[i] *= factor
// Every thread computes the same factor from the device-side sum, so nothing goes to the host.
// One launch per tensor.
#include "common.cuh"

template <typename T>
__device__ void clip_by_global_norm(T* x, long n, const float* sumsq, float maxNorm) {
    const float factor = fminf(1.0f, maxNorm / (sqrtf(sumsq[0]) + 1e-6f));
    pointwise<T>(x, nullptr, nullptr, n, true, [=](float v, float, float) { return v * factor; });
}

#define ENTRY(S, T)                                                                                          \
    extern "C" __global__ void clip_by_global_norm_##S(T* x, long n, const float* sumsq, float maxNorm) {   \
        clip_by_global_norm<T>(x, n, sumsq, maxNorm);                                                        \
    }
FOR_EACH_STORAGE(ENTRY)
