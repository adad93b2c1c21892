// NaN/Inf check: flag[0] = 1.0f if any x[i] is NaN or infinite; the caller sets flag[0] = 0 first
// and may launch once per tensor of a list. Threads that find one store the same value 1.0f, so the
// concurrent plain stores are benign and the result is deterministic (no atomics needed).
#include "common.cuh"

template <typename T>
__device__ void check_finite(float* flag, const T* x, long n) {
    constexpr int P = Packed128<T>::size;
    bool bad = false;
    long start = 0;
    if (is_aligned16(x)) {
        const long packs = n / P;
        for (long p = global_thread(); p < packs; p += grid_threads()) {
            const Packed128<T> pk = load128cs(x + p * P);
#pragma unroll
            for (int k = 0; k < P; k++) bad |= !isfinite(to_float(pk.v[k]));
        }
        start = packs * P;
    }
    for (long i = start + global_thread(); i < n; i += grid_threads()) bad |= !isfinite(to_float(x[i]));
    if (__any_sync(0xffffffffu, bad) && (threadIdx.x & 31) == 0) flag[0] = 1.0f;
}

#define ENTRY(S, T)                                                                            \
    extern "C" __global__ void check_finite_##S(float* flag, const T* x, long n) { check_finite<T>(flag, x, n); }
FOR_EACH_STORAGE(ENTRY)
