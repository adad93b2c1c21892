// Token + position embedding backward, deterministic and without atomics, accumulating:
//   dwte[v, c] += sum_{n : tokens[n] == v} dout[n, c]        (n = b*T + t over the N = B*T positions)
//   dwpe[t, c] += sum_b dout[b, t, c]
//
// dwte: a float atomicAdd per position would make the sum's order, and so its rounding, change
// from run to run. Instead each token's gradient row is owned by ONE block: the block of the
// token's first position (its "leader"). Block (i, y) handles position i and channels
// [y * blockDim.x, (y+1) * blockDim.x):
//   1. it scans tokens[0, i) for the same token and exits if it finds one (not the leader);
//   2. the leader gathers the positions j >= i holding its token, in increasing j, a chunk of
//      blockDim.x positions at a time (warp ballots compact them into shared memory in order), and
//      sums dout[j, c] in that order into a register, then adds it to dwte[v, c] once.
// The order is fixed by the positions alone, so every run gives the same bits. The cost is
// O(N^2 / blockDim.x) token compares per channel chunk, worst for leaders (~2N each); tokens are
// 4 bytes and stay in L1/L2, which is cheap next to the matmuls for N up to tens of thousands.
// A sort-by-token (radix sort + segmented sum) would scale better for N far beyond that.
//
// dwpe: one thread per (t, c), summing over b in order. Launch with grid (ceil(T*C / blockDim.x)).
#include "common.cuh"

constexpr int GATHER_THREADS = 256;  // blockDim.x of encoder_backward_wte: 8 warps

template <typename T>
__device__ void encoder_backward_wte(T* dwte, const T* dout, const int* tokens, int N, int C) {
    __shared__ int matches[GATHER_THREADS];
    __shared__ int warpCounts[GATHER_THREADS / 32];
    const int i = blockIdx.x, tid = threadIdx.x, lane = tid & 31, warp = tid >> 5;
    const int token = tokens[i];
    for (int j0 = 0; j0 < i; j0 += GATHER_THREADS) {
        const int j = j0 + tid;
        if (__syncthreads_or(j < i && tokens[j] == token)) return;
    }
    const int c = blockIdx.y * GATHER_THREADS + tid;
    float sum = 0.0f;
    for (int j0 = i; j0 < N; j0 += GATHER_THREADS) {
        const int j = j0 + tid;
        const bool match = j < N && tokens[j] == token;
        const unsigned ballot = __ballot_sync(0xffffffffu, match);
        if (lane == 0) warpCounts[warp] = __popc(ballot);
        __syncthreads();
        int offset = 0, count = 0;
        for (int w = 0; w < GATHER_THREADS / 32; w++) {
            if (w < warp) offset += warpCounts[w];
            count += warpCounts[w];
        }
        if (match) matches[offset + __popc(ballot & ((1u << lane) - 1))] = j;
        __syncthreads();
        if (c < C)
            for (int k = 0; k < count; k++) sum += to_float(dout[(long)matches[k] * C + c]);
        __syncthreads();
    }
    if (c < C) dwte[(long)token * C + c] = from_float<T>(to_float(dwte[(long)token * C + c]) + sum);
}

template <typename T>
__device__ void encoder_backward_wpe(T* dwpe, const T* dout, int B, int T_, int C) {
    const long tc = global_thread();
    if (tc >= (long)T_ * C) return;
    float sum = 0.0f;
    for (int b = 0; b < B; b++) sum += to_float(dout[(long)b * T_ * C + tc]);
    dwpe[tc] = from_float<T>(to_float(dwpe[tc]) + sum);
}

#define ENTRY(S, T)                                                                                                 \
    extern "C" __global__ void __launch_bounds__(GATHER_THREADS)                                                   \
        encoder_backward_wte_##S(T* dwte, const T* dout, const int* tokens, int N, int C) {                         \
        encoder_backward_wte<T>(dwte, dout, tokens, N, C);                                                          \
    }                                                                                                               \
    extern "C" __global__ void encoder_backward_wpe_##S(T* dwpe, const T* dout, int B, int T_, int C) {             \
        encoder_backward_wpe<T>(dwpe, dout, B, T_, C);                                                              \
    }
FOR_EACH_STORAGE(ENTRY)
