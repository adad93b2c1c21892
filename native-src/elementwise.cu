// Elementwise memory ops of the Kernels interface, for every storage type:
//   fill:       x[i]   = value
//   accumulate: dst[i] = dst[i] + src[i]       (residual backward, gradient fan-in)
//   scale:      x[i]   = x[i] * factor
//   add:        out[i] = a[i] + b[i]           (residual forward)
//   copy:       dst[i] = src[i], byte for byte (one kernel for every type: it moves bytes)
// Leaves out type conversion (cast.cu) and reductions.
#include "common.cuh"

template <typename T> __device__ void fill(T* x, long n, float value) {
    pointwise<T>(x, nullptr, nullptr, n, false, [=](float, float, float) { return value; });
}
template <typename T> __device__ void accumulate(T* dst, const T* src, long n) {
    pointwise<T>(dst, src, nullptr, n, true, [](float d, float s, float) { return d + s; });
}
template <typename T> __device__ void scale(T* x, long n, float factor) {
    pointwise<T>(x, nullptr, nullptr, n, true, [=](float v, float, float) { return v * factor; });
}
template <typename T> __device__ void add(T* out, const T* a, const T* b, long n) {
    pointwise<T>(out, a, b, n, false, [](float, float x, float y) { return x + y; });
}

#define ENTRY(S, T)                                                                                    \
    extern "C" __global__ void fill_##S(T* x, long n, float value) { fill<T>(x, n, value); }          \
    extern "C" __global__ void accumulate_##S(T* dst, const T* src, long n) { accumulate<T>(dst, src, n); } \
    extern "C" __global__ void scale_##S(T* x, long n, float factor) { scale<T>(x, n, factor); }      \
    extern "C" __global__ void add_##S(T* out, const T* a, const T* b, long n) { add<T>(out, a, b, n); }
FOR_EACH_STORAGE(ENTRY)

// bytes: the byte count; 16-byte words when both pointers allow, single bytes otherwise and for the tail.
extern "C" __global__ void copy_bytes(unsigned char* dst, const unsigned char* src, long bytes) {
    long start = 0;
    if (is_aligned16(dst) && is_aligned16(src)) {
        const long words = bytes / 16;
        for (long w = global_thread(); w < words; w += grid_threads())
            reinterpret_cast<int4*>(dst)[w] = __ldcs(reinterpret_cast<const int4*>(src) + w);
        start = words * 16;
    }
    for (long i = start + global_thread(); i < bytes; i += grid_threads()) dst[i] = src[i];
}
