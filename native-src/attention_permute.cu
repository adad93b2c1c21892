// Layout changes around the batched attention products. With C = NH*HS:
//   split_heads:       q[b,h,t,d] = qkv[b,t,0*C + h*HS + d];  k: 1*C;  v: 2*C     qkv (B,T,3C) -> q,k,v (B,NH,T,HS)
//   merge_heads_grad:  dqkv[b,t,j*C + h*HS + d] += {dq,dk,dv}[b,h,t,d]           (backward of split; accumulates)
//   heads_to_rows:     out[b,t,h*HS + d] = y[b,h,t,d]                           y (B,NH,T,HS) -> out (B,T,C)
//   rows_to_heads:     dy[b,h,t,d] = dout[b,t,h*HS + d]                         (backward of heads_to_rows)
// One thread per element of a (B,NH,T,HS) tensor, in that order: the HS-long runs keep both sides'
// accesses coalesced.
#include "common.cuh"

struct HeadIndex {
    long rowOffset;  // offset of element (b,t,h,d) in a (B,T,C) tensor
    long bt;         // b*T + t
};

__device__ __forceinline__ HeadIndex head_index(long i, int T_, int NH, int HS) {
    const int d = (int)(i % HS);
    long rest = i / HS;
    const int t = (int)(rest % T_);
    rest /= T_;
    const int h = (int)(rest % NH);
    const long b = rest / NH;
    const long bt = b * T_ + t;
    return {bt * NH * HS + (long)h * HS + d, bt};
}

template <typename T>
__device__ void split_heads(T* q, T* k, T* v, const T* qkv, int B, int T_, int NH, int HS) {
    const long n = (long)B * NH * T_ * HS, C = (long)NH * HS;
    for (long i = global_thread(); i < n; i += grid_threads()) {
        const HeadIndex x = head_index(i, T_, NH, HS);
        const long src = x.rowOffset + x.bt * 2 * C;  // row bt of (B,T,3C) starts at bt*3C
        q[i] = qkv[src];
        k[i] = qkv[src + C];
        v[i] = qkv[src + 2 * C];
    }
}

template <typename T>
__device__ void merge_heads_grad(T* dqkv, const T* dq, const T* dk, const T* dv, int B, int T_, int NH, int HS) {
    const long n = (long)B * NH * T_ * HS, C = (long)NH * HS;
    for (long i = global_thread(); i < n; i += grid_threads()) {
        const HeadIndex x = head_index(i, T_, NH, HS);
        const long dst = x.rowOffset + x.bt * 2 * C;
        dqkv[dst] = from_float<T>(to_float(dqkv[dst]) + to_float(dq[i]));
        dqkv[dst + C] = from_float<T>(to_float(dqkv[dst + C]) + to_float(dk[i]));
        dqkv[dst + 2 * C] = from_float<T>(to_float(dqkv[dst + 2 * C]) + to_float(dv[i]));
    }
}

template <typename T>
__device__ void heads_to_rows(T* out, const T* y, int B, int T_, int NH, int HS) {
    const long n = (long)B * NH * T_ * HS;
    for (long i = global_thread(); i < n; i += grid_threads()) out[head_index(i, T_, NH, HS).rowOffset] = y[i];
}

template <typename T>
__device__ void rows_to_heads(T* dy, const T* dout, int B, int T_, int NH, int HS) {
    const long n = (long)B * NH * T_ * HS;
    for (long i = global_thread(); i < n; i += grid_threads()) dy[i] = dout[head_index(i, T_, NH, HS).rowOffset];
}

#define ENTRY(S, T)                                                                                                  \
    extern "C" __global__ void attention_split_heads_##S(T* q, T* k, T* v, const T* qkv, int B, int T_, int NH, int HS) { \
        split_heads<T>(q, k, v, qkv, B, T_, NH, HS);                                                                 \
    }                                                                                                                \
    extern "C" __global__ void attention_merge_heads_grad_##S(T* dqkv, const T* dq, const T* dk, const T* dv,      \
                                                              int B, int T_, int NH, int HS) {                       \
        merge_heads_grad<T>(dqkv, dq, dk, dv, B, T_, NH, HS);                                                        \
    }                                                                                                                \
    extern "C" __global__ void attention_heads_to_rows_##S(T* out, const T* y, int B, int T_, int NH, int HS) {      \
        heads_to_rows<T>(out, y, B, T_, NH, HS);                                                                     \
    }                                                                                                                \
    extern "C" __global__ void attention_rows_to_heads_##S(T* dy, const T* dout, int B, int T_, int NH, int HS) {    \
        rows_to_heads<T>(dy, dout, B, T_, NH, HS);                                                                   \
    }
FOR_EACH_STORAGE(ENTRY)
