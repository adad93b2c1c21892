// AdamW with block-wise 8-bit moments (bitsandbytes' 8-bit Adam, Dettmers et al. 2022) over FP32
// master weights, in place. A thread block loads the maps into shared memory, then takes one
// quantization block of `block` elements after another (grid-stride): its threads dequantize m
// and v with the block's absmax, run AdamW in FP32,
//   m = b1 m + (1 - b1) g;  v = b2 v + (1 - b2) g^2;  param -= lr (m / c1 / (sqrt(v / c2) + eps) + wd param)
// (c1 = 1 - b1^t, c2 = 1 - b2^t from the caller), reduce the new absmax of m and of v over the
// block, then recompute the same m and v and requantize them against it (no scratch needed).
// `maps` holds DynamicQuantization's tables as uploaded by the backend, 1024 floats: signed values
// (256), signed boundaries (255 + 1 unused), unsigned values, unsigned boundaries; a code is the
// number of boundaries below x, counted here in 8 halving steps (the Java encoder gets the same
// count from a lookup table), so both backends round alike. Codes are bytes 0..255. Name suffix =
// grad type. Leaves out bitsandbytes' 32-bit fallback for small tensors and its percentile clipping.
#include "common.cuh"

constexpr int MAP_SIZE = 256;

__device__ __forceinline__ int quantize(const float* boundaries, float x) {
    int below = 0;
#pragma unroll
    for (int step = 128; step > 0; step >>= 1)
        if (boundaries[below + step - 1] < x) below += step;
    return below;
}

__device__ __forceinline__ void adamw8bit_moments(float g, unsigned char codeM, unsigned char codeV,
                                                  const float* signedValues, const float* unsignedValues,
                                                  float scaleM, float scaleV, float b1, float b2, float& m, float& v) {
    m = b1 * signedValues[codeM] * scaleM + (1.0f - b1) * g;
    v = b2 * unsignedValues[codeV] * scaleV + (1.0f - b2) * g * g;
}

template <typename T>
__device__ void adamw8bit(float* param, const T* grad, unsigned char* codesM, float* absmaxM, unsigned char* codesV,
                          float* absmaxV, const float* maps, long n, int block, float lr, float b1, float b2,
                          float eps, float wd, float correction1, float correction2) {
    __shared__ float table[4 * MAP_SIZE];
    __shared__ float shared[32];
    for (int k = threadIdx.x; k < 4 * MAP_SIZE; k += blockDim.x) table[k] = maps[k];
    __syncthreads();
    const float* signedValues = table;
    const float* signedBoundaries = table + MAP_SIZE;
    const float* unsignedValues = table + 2 * MAP_SIZE;
    const float* unsignedBoundaries = table + 3 * MAP_SIZE;
    const long blocks = (n + block - 1) / block;
    for (long b = blockIdx.x; b < blocks; b += gridDim.x) {  // uniform over the thread block
        const long start = b * block, end = min(n, start + block);
        const float scaleM = absmaxM[b], scaleV = absmaxV[b];
        float maxM = 0.0f, maxV = 0.0f;
        for (long i = start + threadIdx.x; i < end; i += blockDim.x) {
            const float g = to_float(grad[i]);
            float m, v;
            adamw8bit_moments(g, codesM[i], codesV[i], signedValues, unsignedValues, scaleM, scaleV, b1, b2, m, v);
            const float mhat = m / correction1, vhat = v / correction2, w = param[i];
            param[i] = w - lr * (mhat / (sqrtf(vhat) + eps) + wd * w);
            maxM = fmaxf(maxM, fabsf(m));
            maxV = fmaxf(maxV, v);
        }
        maxM = block_max(maxM, shared);  // its barriers also order every read of absmax before the writes
        maxV = block_max(maxV, shared);
        if (threadIdx.x == 0) {
            absmaxM[b] = maxM;
            absmaxV[b] = maxV;
        }
        for (long i = start + threadIdx.x; i < end; i += blockDim.x) {
            float m, v;
            adamw8bit_moments(to_float(grad[i]), codesM[i], codesV[i], signedValues, unsignedValues, scaleM, scaleV,
                              b1, b2, m, v);
            codesM[i] = (unsigned char)quantize(signedBoundaries, maxM == 0.0f ? 0.0f : m / maxM);
            codesV[i] = (unsigned char)quantize(unsignedBoundaries, maxV == 0.0f ? 0.0f : v / maxV);
        }
    }
}

#define ENTRY(S, T)                                                                                                  \
    extern "C" __global__ void adamw8bit_##S(float* param, const T* grad, unsigned char* codesM, float* absmaxM,    \
                                             unsigned char* codesV, float* absmaxV, const float* maps, long n,      \
                                             int block, float lr, float b1, float b2, float eps, float wd,          \
                                             float correction1, float correction2) {                                \
        adamw8bit<T>(param, grad, codesM, absmaxM, codesV, absmaxV, maps, n, block, lr, b1, b2, eps, wd,            \
                     correction1, correction2);                                                                     \
    }
FOR_EACH_STORAGE(ENTRY)
