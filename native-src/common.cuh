// Shared device helpers of every Panatrain kernel: storage types and their float conversions,
// 128-bit packed loads and stores, warp and block reductions, and the macro that emits the
// extern "C" entry points of a templated kernel per storage type. Leaves out anything that
// touches the host: launch configurations are chosen by the Java backend from device properties.
//
// Storage types: f32 = float, bf16 = __nv_bfloat16, f16 = __half. Every kernel computes in FP32
// and rounds to the storage type once, when it stores.
#pragma once
#include <cuda_bf16.h>
#include <cuda_fp16.h>
#include <stdint.h>

typedef __nv_bfloat16 bf16;
typedef __half f16;

// ---- conversions ------------------------------------------------------------------------------
__device__ __forceinline__ float to_float(float x) { return x; }
__device__ __forceinline__ float to_float(bf16 x) { return __bfloat162float(x); }
__device__ __forceinline__ float to_float(f16 x) { return __half2float(x); }

template <typename T> __device__ __forceinline__ T from_float(float x);
template <> __device__ __forceinline__ float from_float<float>(float x) { return x; }
template <> __device__ __forceinline__ bf16 from_float<bf16>(float x) { return __float2bfloat16_rn(x); }
template <> __device__ __forceinline__ f16 from_float<f16>(float x) { return __float2half_rn(x); }

// ---- 128-bit packs ----------------------------------------------------------------------------
// Packed128<T> holds 16 bytes: 4 floats or 8 bf16/f16. Loads and stores are single 128-bit
// instructions, so the address must be 16-byte aligned: kernels check is_aligned16 first and
// fall back to scalar code for misaligned views and for the tail that does not fill a pack.
template <typename T>
struct alignas(16) Packed128 {
    static constexpr int size = 16 / sizeof(T);
    T v[size];
};

template <typename T>
__device__ __forceinline__ Packed128<T> load128(const T* p) {
    return *reinterpret_cast<const Packed128<T>*>(p);
}

// Streaming load: the data is read once, so it should not displace cached data.
template <typename T>
__device__ __forceinline__ Packed128<T> load128cs(const T* p) {
    Packed128<T> out;
    *reinterpret_cast<int4*>(&out) = __ldcs(reinterpret_cast<const int4*>(p));
    return out;
}

template <typename T>
__device__ __forceinline__ void store128(T* p, const Packed128<T>& x) {
    *reinterpret_cast<Packed128<T>*>(p) = x;
}

__device__ __forceinline__ bool is_aligned16(const void* p) {
    return (reinterpret_cast<uintptr_t>(p) & 15) == 0;
}

// ---- reductions -------------------------------------------------------------------------------
// Butterfly reductions: every lane ends with the same value, computed in the same order on every
// run, so the results are deterministic.
__device__ __forceinline__ float warp_sum(float x) {
    for (int offset = 16; offset > 0; offset >>= 1) x += __shfl_xor_sync(0xffffffffu, x, offset);
    return x;
}

__device__ __forceinline__ float warp_max(float x) {
    for (int offset = 16; offset > 0; offset >>= 1) x = fmaxf(x, __shfl_xor_sync(0xffffffffu, x, offset));
    return x;
}

// Sum over the whole block (blockDim.x a multiple of 32, at most 1024); every thread gets the
// result. `shared` holds 32 floats; the call ends with a barrier so `shared` may be reused.
__device__ __forceinline__ float block_sum(float x, float* shared) {
    const int lane = threadIdx.x & 31, warp = threadIdx.x >> 5, warps = blockDim.x >> 5;
    x = warp_sum(x);
    if (lane == 0) shared[warp] = x;
    __syncthreads();
    x = lane < warps ? shared[lane] : 0.0f;
    x = warp_sum(x);
    __syncthreads();
    return x;
}

__device__ __forceinline__ float block_max(float x, float* shared) {
    const int lane = threadIdx.x & 31, warp = threadIdx.x >> 5, warps = blockDim.x >> 5;
    x = warp_max(x);
    if (lane == 0) shared[warp] = x;
    __syncthreads();
    x = lane < warps ? shared[lane] : -INFINITY;
    x = warp_max(x);
    __syncthreads();
    return x;
}

// ---- grid-stride loops --------------------------------------------------------------------------
__device__ __forceinline__ long global_thread() { return (long)blockIdx.x * blockDim.x + threadIdx.x; }
__device__ __forceinline__ long grid_threads() { return (long)gridDim.x * blockDim.x; }

// ---- entry points -------------------------------------------------------------------------------
// FOR_EACH_STORAGE(M) expands M(suffix, type) once per storage type; a kernel file defines a macro
// that declares `extern "C" __global__ void name_##suffix(...)` forwarding to its template.
#define FOR_EACH_STORAGE(M) M(f32, float) M(bf16, bf16) M(f16, f16)

// ---- pointwise maps -----------------------------------------------------------------------------
// out[i] = op(out[i], a[i], b[i]) for i < n, computed in FP32, over a grid-stride loop. Inputs the
// op does not use are passed as nullptr (and never read); `reads_out` says whether op needs out[i].
// Full 16-byte packs go through 128-bit loads when every pointer in use is aligned; the rest
// (misaligned views, the tail) goes element by element.
template <typename T, typename Op>
__device__ __forceinline__ void pointwise(T* out, const T* a, const T* b, long n, bool reads_out, Op op) {
    constexpr int P = Packed128<T>::size;
    const bool aligned = is_aligned16(out) && (a == nullptr || is_aligned16(a)) && (b == nullptr || is_aligned16(b));
    long start = 0;
    if (aligned) {
        const long packs = n / P;
        for (long p = global_thread(); p < packs; p += grid_threads()) {
            const long i = p * P;
            Packed128<T> o, x, y;
            if (reads_out) o = load128(out + i);
            if (a != nullptr) x = load128cs(a + i);
            if (b != nullptr) y = load128cs(b + i);
#pragma unroll
            for (int k = 0; k < P; k++) {
                const float ov = reads_out ? to_float(o.v[k]) : 0.0f;
                const float av = a != nullptr ? to_float(x.v[k]) : 0.0f;
                const float bv = b != nullptr ? to_float(y.v[k]) : 0.0f;
                o.v[k] = from_float<T>(op(ov, av, bv));
            }
            store128(out + i, o);
        }
        start = packs * P;
    }
    for (long i = start + global_thread(); i < n; i += grid_threads()) {
        const float ov = reads_out ? to_float(out[i]) : 0.0f;
        const float av = a != nullptr ? to_float(a[i]) : 0.0f;
        const float bv = b != nullptr ? to_float(b[i]) : 0.0f;
        out[i] = from_float<T>(op(ov, av, bv));
    }
}

// ---- row access ---------------------------------------------------------------------------------
// Row kernels (layernorm, softmax) walk a row in steps of S elements per lane: S = the pack size
// when the row length and every base pointer allow 128-bit access, else S = 1. load_row/store_row
// move S elements between memory and floats; `VEC` picks the 128-bit path at compile time.
template <typename T, bool VEC> struct RowStep { static constexpr int S = VEC ? Packed128<T>::size : 1; };

template <typename T, bool VEC>
__device__ __forceinline__ void load_row(const T* p, float* x) {
    if constexpr (VEC) {
        const Packed128<T> pk = load128(p);
#pragma unroll
        for (int k = 0; k < Packed128<T>::size; k++) x[k] = to_float(pk.v[k]);
    } else {
        x[0] = to_float(*p);
    }
}

template <typename T, bool VEC>
__device__ __forceinline__ void store_row(T* p, const float* x) {
    if constexpr (VEC) {
        Packed128<T> pk;
#pragma unroll
        for (int k = 0; k < Packed128<T>::size; k++) pk.v[k] = from_float<T>(x[k]);
        store128(p, pk);
    } else {
        *p = from_float<T>(x[0]);
    }
}
