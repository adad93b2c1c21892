// Dropout for every storage type: out[i] (+)= keep_i ? inp[i] * scale : 0, with keep_i the Philox
// decision of philox.cuh for element i (threshold = round(p * 2^32), scale = 1/(1-p) rounded to
// FP32 on the host), so the backward (the same call on dout, accumulating) and a recompute draw
// the mask of the forward without storing it. One thread per block of four elements (one Philox
// draw); out may be inp when not accumulating. The attention's probability dropout is this kernel
// on the (B*NH, T, T) probabilities. Leaves out packed 128-bit access: the Philox rounds dominate.
#include "common.cuh"
#include "philox.cuh"

template <typename T>
__device__ void dropout(T* out, const T* inp, long n, unsigned long long seed, unsigned threshold, float scale,
                        int accumulate) {
    const long groups = (n + 3) / 4;
    for (long g = global_thread(); g < groups; g += grid_threads()) {
        const PhiloxWords r = dropout_block(seed, (unsigned long long)g);
        for (int lane = 0; lane < 4; lane++) {
            const long i = 4 * g + lane;
            if (i >= n) break;
            const float v = r.w[lane] >= threshold ? to_float(inp[i]) * scale : 0.0f;
            out[i] = from_float<T>(accumulate ? to_float(out[i]) + v : v);
        }
    }
}

#define ENTRY(S, T)                                                                                             \
    extern "C" __global__ void dropout_##S(T* out, const T* inp, long n, unsigned long long seed, unsigned threshold, \
                                           float scale, int accumulate) {                                       \
        dropout<T>(out, inp, n, seed, threshold, scale, accumulate);                                            \
    }
FOR_EACH_STORAGE(ENTRY)
