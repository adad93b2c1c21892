// Casts between the storage types, with an optional amax output (for FP8/loss-scaling recipes):
//   out[i] = round_to_Tout(float(in[i]));   amax[0] = max(amax[0], max_i |float(in[i])|)
// amax may be null. The caller zeroes amax first; it is combined with an integer atomicMax on the
// bits of |x| (non-negative floats order like their bit patterns), so it is deterministic.
// NaN inputs propagate to out; their bits are larger than +Inf's, so amax then reads NaN.
// Rounding is round-to-nearest-even. Leaves out FP8 (the FP8 recipe's own kernels).
#include "common.cuh"

// Eight elements per step: one or two 128-bit loads and stores, whatever the two types.
constexpr int CHUNK = 8;

template <typename Tin, typename Tout>
__device__ void cast(Tout* out, const Tin* in, long n, float* amax) {
    constexpr int PI = Packed128<Tin>::size, PO = Packed128<Tout>::size;
    float local = 0.0f;
    long start = 0;
    if (is_aligned16(out) && is_aligned16(in)) {
        const long chunks = n / CHUNK;
        for (long c = global_thread(); c < chunks; c += grid_threads()) {
            float x[CHUNK];
#pragma unroll
            for (int j = 0; j < CHUNK; j += PI) {
                const Packed128<Tin> p = load128cs(in + c * CHUNK + j);
#pragma unroll
                for (int k = 0; k < PI; k++) x[j + k] = to_float(p.v[k]);
            }
#pragma unroll
            for (int j = 0; j < CHUNK; j += PO) {
                Packed128<Tout> p;
#pragma unroll
                for (int k = 0; k < PO; k++) p.v[k] = from_float<Tout>(x[j + k]);
                store128(out + c * CHUNK + j, p);
            }
#pragma unroll
            for (int k = 0; k < CHUNK; k++) local = __int_as_float(max(__float_as_int(local), __float_as_int(fabsf(x[k]))));
        }
        start = chunks * CHUNK;
    }
    for (long i = start + global_thread(); i < n; i += grid_threads()) {
        const float x = to_float(in[i]);
        out[i] = from_float<Tout>(x);
        local = __int_as_float(max(__float_as_int(local), __float_as_int(fabsf(x))));
    }
    if (amax != nullptr) {
        // warp max on the bit patterns (NaN-preserving), then one atomic per warp.
        int bits = __float_as_int(local);
        for (int offset = 16; offset > 0; offset >>= 1) bits = max(bits, __shfl_xor_sync(0xffffffffu, bits, offset));
        if ((threadIdx.x & 31) == 0) atomicMax(reinterpret_cast<int*>(amax), bits);
    }
}

#define CAST(SI, TI, SO, TO)                                                                  \
    extern "C" __global__ void cast_##SI##_to_##SO(TO* out, const TI* in, long n, float* amax) { \
        cast<TI, TO>(out, in, n, amax);                                                       \
    }
CAST(f32, float, bf16, bf16)
CAST(f32, float, f16, f16)
CAST(bf16, bf16, f32, float)
CAST(f16, f16, f32, float)
CAST(bf16, bf16, f16, f16)
CAST(f16, f16, bf16, bf16)
