// Scaled, saturating casts into FP8 for the delayed-scaling recipe, with the amax it records:
//   out[i] = fp8(sat(float(in[i]) * scale[0]));   amax[0] = max(amax[0], max_i |float(in[i])|)
// fp8 is E4M3 or E5M2, rounded to nearest even; sat clamps to the format's largest finite value
// (__NV_SATFINITE: +-448 for E4M3, +-57344 for E5M2, infinities included), NaN stays NaN. The
// scale is read from device memory, so a scale updated on the device needs no host round trip.
// amax may be null; the caller zeroes it first; it is combined with an integer atomicMax on the
// bits of |x| (non-negative floats order like their bit patterns), so it is deterministic and a
// NaN input makes it NaN. Leaves out vectorized loads and stores (a later tuning) and the inverse
// cast: an FP8 tensor is read back by the cuBLASLt FP8 matmul with its scale-inverse pointer.
#include "common.cuh"
#include <cuda_fp8.h>

template <typename Tin, __nv_fp8_interpretation_t F>
__device__ void cast_to_fp8(__nv_fp8_storage_t* out, const Tin* in, long n, const float* scale, float* amax) {
    const float s = *scale;
    float local = 0.0f;
    for (long i = global_thread(); i < n; i += grid_threads()) {
        const float x = to_float(in[i]);
        out[i] = __nv_cvt_float_to_fp8(x * s, __NV_SATFINITE, F);
        local = __int_as_float(max(__float_as_int(local), __float_as_int(fabsf(x))));
    }
    if (amax != nullptr) {
        // warp max on the bit patterns (NaN-preserving), then one atomic per warp.
        int bits = __float_as_int(local);
        for (int offset = 16; offset > 0; offset >>= 1) bits = max(bits, __shfl_xor_sync(0xffffffffu, bits, offset));
        if ((threadIdx.x & 31) == 0) atomicMax(reinterpret_cast<int*>(amax), bits);
    }
}

#define CAST_FP8(SI, TI)                                                                                      \
    extern "C" __global__ void cast_##SI##_to_e4m3(__nv_fp8_storage_t* out, const TI* in, long n,             \
                                                   const float* scale, float* amax) {                          \
        cast_to_fp8<TI, __NV_E4M3>(out, in, n, scale, amax);                                                   \
    }                                                                                                         \
    extern "C" __global__ void cast_##SI##_to_e5m2(__nv_fp8_storage_t* out, const TI* in, long n,             \
                                                   const float* scale, float* amax) {                          \
        cast_to_fp8<TI, __NV_E5M2>(out, in, n, scale, amax);                                                   \
    }
FOR_EACH_STORAGE(CAST_FP8)
