// Fused softmax + cross-entropy over rows of logits (N,V), one block per row n, in place:
//   mx = max_v logits[n,v];  sum = sum_v exp(logits[n,v] - mx)          (one online pass)
//   losses[n]   = log(sum) + mx - logits[n, targets[n]]
//   logits[n,v] = (exp(logits[n,v] - mx) / sum - [v == targets[n]]) * dlossScale
// losses (N) FP32, targets (N) int32 in [0, V). With dlossScale = 0 the row is still overwritten
// (with zeros), as the Kernels contract says. The target logit is read before any thread writes.
// Rows of odd V are not 16-byte aligned, so the loads are scalar (coalesced across the block).
#include "common.cuh"

// Merges two partial (max, sum of exp(x - max)) pairs.
__device__ __forceinline__ void online_merge(float& m, float& s, float m2, float s2) {
    const float mx = fmaxf(m, m2);
    if (mx == -INFINITY) return;
    s = s * expf(m - mx) + s2 * expf(m2 - mx);
    m = mx;
}

template <typename T>
__device__ void cross_entropy(float* losses, T* logits, const int* targets, int N, int V, float dlossScale) {
    __shared__ float sharedMax[32], sharedSum[32];
    const int n = blockIdx.x, lane = threadIdx.x & 31, warp = threadIdx.x >> 5, warps = blockDim.x >> 5;
    T* row = logits + (long)n * V;
    const int target = targets[n];
    const float targetLogit = to_float(row[target]);
    float m = -INFINITY, s = 0.0f;
    for (int v = threadIdx.x; v < V; v += blockDim.x) {  // one exp per element
        const float x = to_float(row[v]);
        if (x > m) {
            s = s * expf(m - x) + 1.0f;
            m = x;
        } else {
            s += expf(x - m);
        }
    }
    for (int offset = 16; offset > 0; offset >>= 1)
        online_merge(m, s, __shfl_xor_sync(0xffffffffu, m, offset), __shfl_xor_sync(0xffffffffu, s, offset));
    if (lane == 0) {
        sharedMax[warp] = m;
        sharedSum[warp] = s;
    }
    __syncthreads();
    m = lane < warps ? sharedMax[lane] : -INFINITY;
    s = lane < warps ? sharedSum[lane] : 0.0f;
    for (int offset = 16; offset > 0; offset >>= 1)
        online_merge(m, s, __shfl_xor_sync(0xffffffffu, m, offset), __shfl_xor_sync(0xffffffffu, s, offset));
    if (threadIdx.x == 0) losses[n] = logf(s) + m - targetLogit;
    const float inv = 1.0f / s;
    for (int v = threadIdx.x; v < V; v += blockDim.x) {
        const float p = expf(to_float(row[v]) - m) * inv;
        row[v] = from_float<T>((p - (v == target ? 1.0f : 0.0f)) * dlossScale);
    }
}

#define ENTRY(S, T)                                                                                     \
    extern "C" __global__ void cross_entropy_##S(float* losses, T* logits, const int* targets, int N, int V, \
                                                 float dlossScale) {                                     \
        cross_entropy<T>(losses, logits, targets, N, V, dlossScale);                                     \
    }
FOR_EACH_STORAGE(ENTRY)
