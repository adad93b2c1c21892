// Token + position embedding forward:
//   out[b,t,c] = wte[tokens[b,t], c] + wpe[t, c]      out (B,T,C), tokens (B,T) int32, wte (V,C), wpe (maxT,C)
// One thread per 16-byte pack of a row when C and the pointers allow, else per element. Tokens
// must lie in [0, V): the data loader checks them, this kernel does not.
#include "common.cuh"

template <typename T, bool VEC>
__device__ void encoder_forward_steps(T* out, const int* tokens, const T* wte, const T* wpe, int BT, int T_, int C) {
    constexpr int S = RowStep<T, VEC>::S;
    const int stepsPerRow = C / S;
    const long steps = (long)BT * stepsPerRow;
    float x[S], y[S];
    for (long i = global_thread(); i < steps; i += grid_threads()) {
        const int n = (int)(i / stepsPerRow), c = (int)(i % stepsPerRow) * S, t = n % T_;
        load_row<T, VEC>(wte + (long)tokens[n] * C + c, x);
        load_row<T, VEC>(wpe + (long)t * C + c, y);
#pragma unroll
        for (int k = 0; k < S; k++) x[k] += y[k];
        store_row<T, VEC>(out + (long)n * C + c, x);
    }
}

template <typename T>
__device__ void encoder_forward(T* out, const int* tokens, const T* wte, const T* wpe, int B, int T_, int C) {
    if (C % Packed128<T>::size == 0 && is_aligned16(out) && is_aligned16(wte) && is_aligned16(wpe))
        encoder_forward_steps<T, true>(out, tokens, wte, wpe, B * T_, T_, C);
    else
        encoder_forward_steps<T, false>(out, tokens, wte, wpe, B * T_, T_, C);
}

#define ENTRY(S, T)                                                                                    \
    extern "C" __global__ void encoder_forward_##S(T* out, const int* tokens, const T* wte, const T* wpe, \
                                                   int B, int T_, int C) {                             \
        encoder_forward<T>(out, tokens, wte, wpe, B, T_, C);                                           \
    }
FOR_EACH_STORAGE(ENTRY)
