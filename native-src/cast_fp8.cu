// Scaled, saturating casts into FP8 for the delayed-scaling recipe, with the amax it records:
//   out[i] = fp8(sat(float(in[i]) * scale[0]));   amax[0] = max(amax[0], max_i |float(in[i])|)
// fp8 is E4M3 or E5M2, rounded to nearest even; sat clamps to the format's largest finite value
// (__NV_SATFINITE: +-448 for E4M3, +-57344 for E5M2, infinities included), NaN stays NaN. The
// scale is read from device memory, so a scale updated on the device needs no host round trip.
// amax may be null; the caller zeroes it first; it is combined with an integer atomicMax on the
// bits of |x| (non-negative floats order like their bit patterns), so it is deterministic and a
// NaN input makes it NaN. cast_transpose_* does the same into the transpose, out (cols, rows) from
// in (rows, cols): the copy the FP8 matmul's one layout needs (its b is stored (N,K)), in 32 x 32
// tiles through shared memory, one tile per block of 256 threads (8 rows of 32). Leaves out
// vectorized loads and stores (a later tuning) and the inverse cast: an FP8 tensor is read back
// by the cuBLASLt FP8 matmul with its scale-inverse pointer.
#include "common.cuh"
#include <cuda_fp8.h>

__device__ __forceinline__ float max_bits(float a, float b) {   // max of non-negative floats, NaN-preserving
    return __int_as_float(max(__float_as_int(a), __float_as_int(b)));
}

__device__ __forceinline__ void combine_amax(float local, float* amax) {
    if (amax != nullptr) {
        // warp max on the bit patterns (NaN-preserving), then one atomic per warp.
        int bits = __float_as_int(local);
        for (int offset = 16; offset > 0; offset >>= 1) bits = max(bits, __shfl_xor_sync(0xffffffffu, bits, offset));
        if ((threadIdx.x & 31) == 0) atomicMax(reinterpret_cast<int*>(amax), bits);
    }
}

template <typename Tin, __nv_fp8_interpretation_t F>
__device__ void cast_to_fp8(__nv_fp8_storage_t* out, const Tin* in, long n, const float* scale, float* amax) {
    const float s = *scale;
    float local = 0.0f;
    for (long i = global_thread(); i < n; i += grid_threads()) {
        const float x = to_float(in[i]);
        out[i] = __nv_cvt_float_to_fp8(x * s, __NV_SATFINITE, F);
        local = max_bits(local, fabsf(x));
    }
    combine_amax(local, amax);
}

// Grid (ceil(cols / 32), ceil(rows / 32)), 256 threads per block.
template <typename Tin, __nv_fp8_interpretation_t F>
__device__ void cast_transpose_to_fp8(__nv_fp8_storage_t* out, const Tin* in, int rows, int cols, const float* scale,
                                      float* amax) {
    __shared__ float tile[32][33];   // +1 column: the transposed reads hit 32 different banks
    const float s = *scale;
    const int lane = threadIdx.x & 31, row = threadIdx.x >> 5;
    const int c0 = blockIdx.x * 32, r0 = blockIdx.y * 32;
    float local = 0.0f;
    for (int j = row; j < 32; j += 8) {
        const int r = r0 + j, c = c0 + lane;
        float x = 0.0f;
        if (r < rows && c < cols) {
            x = to_float(in[(long)r * cols + c]);
            local = max_bits(local, fabsf(x));
        }
        tile[j][lane] = x;
    }
    __syncthreads();
    for (int j = row; j < 32; j += 8) {
        const int c = c0 + j, r = r0 + lane;   // out (cols, rows): row c, column r
        if (c < cols && r < rows) out[(long)c * rows + r] = __nv_cvt_float_to_fp8(tile[lane][j] * s, __NV_SATFINITE, F);
    }
    combine_amax(local, amax);
}

#define CAST_FP8(SI, TI)                                                                                      \
    extern "C" __global__ void cast_##SI##_to_e4m3(__nv_fp8_storage_t* out, const TI* in, long n,             \
                                                   const float* scale, float* amax) {                          \
        cast_to_fp8<TI, __NV_E4M3>(out, in, n, scale, amax);                                                   \
    }                                                                                                         \
    extern "C" __global__ void cast_##SI##_to_e5m2(__nv_fp8_storage_t* out, const TI* in, long n,             \
                                                   const float* scale, float* amax) {                          \
        cast_to_fp8<TI, __NV_E5M2>(out, in, n, scale, amax);                                                   \
    }                                                                                                         \
    extern "C" __global__ void cast_transpose_##SI##_to_e4m3(__nv_fp8_storage_t* out, const TI* in, int rows,  \
                                                             int cols, const float* scale, float* amax) {     \
        cast_transpose_to_fp8<TI, __NV_E4M3>(out, in, rows, cols, scale, amax);                                \
    }                                                                                                         \
    extern "C" __global__ void cast_transpose_##SI##_to_e5m2(__nv_fp8_storage_t* out, const TI* in, int rows,  \
                                                             int cols, const float* scale, float* amax) {     \
        cast_transpose_to_fp8<TI, __NV_E5M2>(out, in, rows, cols, scale, amax);                                \
    }
FOR_EACH_STORAGE(CAST_FP8)
