// Philox4x32-10 (Salmon et al., SC'11; cuRAND's and PyTorch's generator) and the dropout decision
// built on it: element i of a site seeded with `seed` is kept iff word i % 4 of the block at
// counter {i / 4 (64 bits, low word first), 0, 0} under key seed (low word first) is, unsigned, at
// least `threshold` = round(p * 2^32). The same function as the CPU backend's
// org.panatrain.kernels.Philox, so both backends draw the same masks. Leaves out cuRAND's
// skip-ahead and normal samples.
#pragma once
#include <stdint.h>

struct PhiloxWords {
    uint32_t w[4];
};

__device__ __forceinline__ PhiloxWords philox4x32_10(uint32_t c0, uint32_t c1, uint32_t c2, uint32_t c3, uint32_t k0,
                                                     uint32_t k1) {
    for (int round = 0; round < 10; round++) {
        const uint64_t p0 = (uint64_t)0xD2511F53u * c0, p1 = (uint64_t)0xCD9E8D57u * c2;
        const uint32_t n0 = (uint32_t)(p1 >> 32) ^ c1 ^ k0, n2 = (uint32_t)(p0 >> 32) ^ c3 ^ k1;
        c0 = n0;
        c1 = (uint32_t)p1;
        c2 = n2;
        c3 = (uint32_t)p0;
        k0 += 0x9E3779B9u;
        k1 += 0xBB67AE85u;
    }
    PhiloxWords out;
    out.w[0] = c0;
    out.w[1] = c1;
    out.w[2] = c2;
    out.w[3] = c3;
    return out;
}

// The block of elements [4 * counter, 4 * counter + 4) of a dropout site.
__device__ __forceinline__ PhiloxWords dropout_block(unsigned long long seed, unsigned long long counter) {
    return philox4x32_10((uint32_t)counter, (uint32_t)(counter >> 32), 0u, 0u, (uint32_t)seed, (uint32_t)(seed >> 32));
}
