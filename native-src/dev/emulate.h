// A CPU emulation of the CUDA features the kernels of native-src use, so their index arithmetic,
// masking, reductions and warp cooperation can be checked on a machine without a GPU (see
// check_kernels.cpp). Each CUDA thread of a block is a std::thread; blocks run one after another,
// so `__shared__` can be a function-local static. Barriers implement __syncthreads and the warp
// collectives (every lane of a warp must take part, as in the kernels). Leaves out timing,
// memory-model subtleties, and everything the kernels do not use: it proves logic, not speed.
// Usage: g++ -std=c++20 -x c++ -include native-src/dev/emulate.h -Inative-src -I<cuda>/include -c file.cu
#pragma once
#include <cuda_bf16.h>
#include <cuda_fp16.h>

#include <algorithm>
#include <atomic>
#include <barrier>
#include <cmath>
#include <cstdint>
#include <cstring>
#include <functional>
#include <memory>
#include <mutex>
#include <thread>
#include <vector>

#undef __global__
#undef __device__
#undef __forceinline__
#undef __shared__
#undef __launch_bounds__
#define __global__
#define __device__
#define __forceinline__ inline
#define __shared__ static
#define __launch_bounds__(...)

using std::isfinite;
using std::max;
using std::min;

namespace emu {
struct Block {
    std::barrier<>* block;
    std::vector<std::unique_ptr<std::barrier<>>>* warps;
    uint64_t* warpSlots; // 32 per warp
    int* blockSlots;     // one per thread
};
}  // namespace emu

inline thread_local uint3 threadIdx;
inline thread_local uint3 blockIdx;
inline thread_local dim3 blockDim;
inline thread_local dim3 gridDim;
inline thread_local emu::Block emuBlock;

namespace emu {
inline std::barrier<>& warp_barrier() { return *(*emuBlock.warps)[threadIdx.x / 32]; }

template <typename T>
inline T exchange(T v, int fromLane) {
    static_assert(sizeof(T) <= 8);
    uint64_t* slots = emuBlock.warpSlots + (threadIdx.x / 32) * 32;
    uint64_t bits = 0;
    std::memcpy(&bits, &v, sizeof(T));
    slots[threadIdx.x % 32] = bits;
    warp_barrier().arrive_and_wait();
    uint64_t got = slots[fromLane];
    warp_barrier().arrive_and_wait();
    T out;
    std::memcpy(&out, &got, sizeof(T));
    return out;
}

/** Runs body on every thread of every block of grid (blocks in order). blockDim: 1-D, a multiple of 32. */
inline void launch(dim3 grid, int threads, const std::function<void()>& body) {
    for (unsigned by = 0; by < grid.y; by++) {
        for (unsigned bx = 0; bx < grid.x; bx++) {
            std::barrier<> block(threads);
            std::vector<std::unique_ptr<std::barrier<>>> warps;
            for (int w = 0; w < threads / 32; w++) warps.push_back(std::make_unique<std::barrier<>>(32));
            std::vector<uint64_t> warpSlots(threads);
            std::vector<int> blockSlots(threads);
            std::vector<std::thread> pool;
            for (int t = 0; t < threads; t++) {
                pool.emplace_back([&, t] {
                    threadIdx = {(unsigned)t, 0, 0};
                    blockIdx = {bx, by, 0};
                    blockDim = dim3(threads);
                    gridDim = grid;
                    emuBlock = {&block, &warps, warpSlots.data(), blockSlots.data()};
                    body();
                });
            }
            for (auto& th : pool) th.join();
        }
    }
}
}  // namespace emu

// A thread that returns early leaves the barriers: the kernels only do that when the whole warp
// (warp-per-row kernels) or the whole block (after __syncthreads_or) returns together, and in
// those cases no barrier follows for the leavers' peers either.
inline void __syncthreads() { emuBlock.block->arrive_and_wait(); }

inline int __syncthreads_or(int predicate) {
    emuBlock.blockSlots[threadIdx.x] = predicate != 0;
    __syncthreads();
    int any = 0;
    for (unsigned i = 0; i < blockDim.x; i++) any |= emuBlock.blockSlots[i];
    __syncthreads();
    return any;
}

inline void __syncwarp(unsigned = 0xffffffffu) { emu::warp_barrier().arrive_and_wait(); }

template <typename T>
inline T __shfl_xor_sync(unsigned, T v, int laneMask) {
    return emu::exchange(v, (threadIdx.x % 32) ^ laneMask);
}

inline unsigned __ballot_sync(unsigned, int predicate) {
    unsigned mask = 0;
    for (int lane = 0; lane < 32; lane++) {
        // every lane publishes its predicate, then reads all of them
        int p = emu::exchange(predicate != 0 ? 1 : 0, lane);
        mask |= (unsigned)p << lane;
    }
    return mask;
}

inline int __any_sync(unsigned m, int predicate) { return __ballot_sync(m, predicate) != 0; }

inline int __popc(unsigned x) { return __builtin_popcount(x); }
inline int __float_as_int(float x) { int i; std::memcpy(&i, &x, 4); return i; }
inline float __int_as_float(int i) { float x; std::memcpy(&x, &i, 4); return x; }
inline float rsqrtf(float x) { return 1.0f / std::sqrt(x); }

template <typename T>
inline T __ldcs(const T* p) { return *p; }

inline int atomicMax(int* address, int value) {
    static std::mutex lock;
    std::lock_guard<std::mutex> guard(lock);
    int old = *address;
    *address = std::max(old, value);
    return old;
}
