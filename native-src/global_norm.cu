// Global sum of squares over a list of tensors, deterministic, in two passes:
//   global_norm_partial: partials[offset + blk] = sum over the grid-stride slice of block blk of x[i]^2
//                        (one launch per tensor; the caller gives each launch its own offset)
//   global_norm_final:   out[0] = sum_{j < count} partials[j], one block, fixed tree order
// The grid size of each partial launch is chosen by the caller from the tensor size alone, so the
// order of every addition, and the result, are the same on every run on any device.
// Leaves out the square root: clip.cu takes it where it is needed.
#include "common.cuh"

template <typename T>
__device__ void global_norm_partial(float* partials, const T* x, long n) {
    __shared__ float shared[32];
    constexpr int P = Packed128<T>::size;
    float sum = 0.0f;
    long start = 0;
    if (is_aligned16(x)) {
        const long packs = n / P;
        for (long p = global_thread(); p < packs; p += grid_threads()) {
            const Packed128<T> pk = load128cs(x + p * P);
#pragma unroll
            for (int k = 0; k < P; k++) sum += to_float(pk.v[k]) * to_float(pk.v[k]);
        }
        start = packs * P;
    }
    for (long i = start + global_thread(); i < n; i += grid_threads()) sum += to_float(x[i]) * to_float(x[i]);
    sum = block_sum(sum, shared);
    if (threadIdx.x == 0) partials[blockIdx.x] = sum;
}

#define ENTRY(S, T)                                                                                 \
    extern "C" __global__ void global_norm_partial_##S(float* partials, const T* x, long n) {       \
        global_norm_partial<T>(partials, x, n);                                                     \
    }
FOR_EACH_STORAGE(ENTRY)

// One block. Sums in double: there may be thousands of partials of very different sizes.
extern "C" __global__ void global_norm_final(float* out, const float* partials, int count) {
    __shared__ double shared[32];
    double sum = 0.0;
    for (int j = threadIdx.x; j < count; j += blockDim.x) sum += partials[j];
    for (int offset = 16; offset > 0; offset >>= 1) sum += __shfl_xor_sync(0xffffffffu, sum, offset);
    if ((threadIdx.x & 31) == 0) shared[threadIdx.x >> 5] = sum;
    __syncthreads();
    if (threadIdx.x < 32) {
        sum = threadIdx.x < (blockDim.x >> 5) ? shared[threadIdx.x] : 0.0;
        for (int offset = 16; offset > 0; offset >>= 1) sum += __shfl_xor_sync(0xffffffffu, sum, offset);
        if (threadIdx.x == 0) out[0] = (float)sum;
    }
}
