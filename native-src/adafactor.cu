// Adafactor (Shazeer & Stern 2018) as Hugging Face computes it without relative step or first
// moment, over FP32 master weights, in deterministic passes without atomics. With u2 = g^2 + eps1:
//   factored, grad read as (rows, cols):
//     adafactor_row_moments:      row[r] = beta2t row[r] + (1 - beta2t) mean_j u2[r][j]   (one warp per row)
//     adafactor_column_partial:   partials[k, j] = sum of u2[r][j] over the rows of chunk k
//     adafactor_column_finalize:  column[j] = beta2t column[j] + (1 - beta2t) (sum_k partials[k, j]) / rows
//   unfactored:
//     adafactor_vector_moments:   v = beta2t v + (1 - beta2t) u2
//   then, with u = g / sqrt(row[r] / rowMean) / sqrt(column[j])  (factored) or g / sqrt(v):
//     adafactor_squares_partial:  partials[blk] = sum of u^2 over block blk's grid-stride slice
//     adafactor_apply:            param = param * decay - scale * u,  scale = lr / max(1, RMS(u) / clip)
// The caller reduces row (rowMean = stats[0] / rows) and the squares partials (stats[1]) with
// global_norm_final, so every block of adafactor_apply reads the same two sums; its grid, and that
// of the partial passes, is a function of the sizes alone. decay = 1 - lr wd from the caller.
// Name suffix = grad type. Leaves out the relative step size and the first moment.
#include "common.cuh"

template <typename T>
__device__ void adafactor_row_moments(float* row, const T* grad, int rows, int cols, float beta2t, float eps1) {
    const long r = global_thread() / 32;
    if (r >= rows) return;  // the whole warp: every lane of a warp has the same row
    const int lane = threadIdx.x & 31;
    float sum = 0.0f;
    for (int j = lane; j < cols; j += 32) {
        const float g = to_float(grad[r * cols + j]);
        sum += g * g + eps1;
    }
    sum = warp_sum(sum);
    if (lane == 0) row[r] = beta2t * row[r] + (1.0f - beta2t) * (sum / cols);
}

template <typename T>
__device__ void adafactor_column_partial(float* partials, const T* grad, int rows, int cols, int rowsPerChunk,
                                         float eps1) {
    const int j = blockIdx.x * blockDim.x + threadIdx.x;
    if (j >= cols) return;
    const int first = blockIdx.y * rowsPerChunk, last = min(rows, first + rowsPerChunk);
    float sum = 0.0f;
    for (int r = first; r < last; r++) {
        const float g = to_float(grad[(long)r * cols + j]);
        sum += g * g + eps1;
    }
    partials[(long)blockIdx.y * cols + j] = sum;
}

extern "C" __global__ void adafactor_column_finalize(float* column, const float* partials, int chunks, int rows,
                                                     int cols, float beta2t) {
    const int j = blockIdx.x * blockDim.x + threadIdx.x;
    if (j >= cols) return;
    float sum = 0.0f;
    for (int k = 0; k < chunks; k++) sum += partials[(long)k * cols + j];
    column[j] = beta2t * column[j] + (1.0f - beta2t) * (sum / rows);
}

template <typename T>
__device__ void adafactor_vector_moments(float* v, const T* grad, long n, float beta2t, float eps1) {
    for (long i = global_thread(); i < n; i += grid_threads()) {
        const float g = to_float(grad[i]);
        v[i] = beta2t * v[i] + (1.0f - beta2t) * (g * g + eps1);
    }
}

// The unclipped update of element i; column == nullptr: unfactored, row is v.
template <typename T>
__device__ __forceinline__ float adafactor_u(const T* grad, const float* row, const float* column, float rowMean,
                                             long i, int cols) {
    const float g = to_float(grad[i]);
    if (column == nullptr) return g * (1.0f / sqrtf(row[i]));
    return g * (1.0f / sqrtf(row[i / cols] / rowMean)) * (1.0f / sqrtf(column[i % cols]));
}

template <typename T>
__device__ void adafactor_squares_partial(float* partials, const T* grad, const float* row, const float* column,
                                          const float* stats, long n, int rows, int cols) {
    __shared__ float shared[32];
    const float rowMean = column == nullptr ? 1.0f : stats[0] / rows;
    float sum = 0.0f;
    for (long i = global_thread(); i < n; i += grid_threads()) {
        const float u = adafactor_u(grad, row, column, rowMean, i, cols);
        sum += u * u;
    }
    sum = block_sum(sum, shared);
    if (threadIdx.x == 0) partials[blockIdx.x] = sum;
}

template <typename T>
__device__ void adafactor_apply(float* param, const T* grad, const float* row, const float* column,
                                const float* stats, long n, int rows, int cols, float lr, float clipThreshold,
                                float decay) {
    const float rowMean = column == nullptr ? 1.0f : stats[0] / rows;
    const float rms = sqrtf(stats[1] / n);
    const float scale = lr / fmaxf(1.0f, rms / clipThreshold);
    for (long i = global_thread(); i < n; i += grid_threads()) {
        const float u = adafactor_u(grad, row, column, rowMean, i, cols);
        param[i] = param[i] * decay - scale * u;
    }
}

#define ENTRY(S, T)                                                                                                 \
    extern "C" __global__ void adafactor_row_moments_##S(float* row, const T* grad, int rows, int cols,            \
                                                         float beta2t, float eps1) {                               \
        adafactor_row_moments<T>(row, grad, rows, cols, beta2t, eps1);                                             \
    }                                                                                                              \
    extern "C" __global__ void adafactor_column_partial_##S(float* partials, const T* grad, int rows, int cols,    \
                                                            int rowsPerChunk, float eps1) {                        \
        adafactor_column_partial<T>(partials, grad, rows, cols, rowsPerChunk, eps1);                               \
    }                                                                                                              \
    extern "C" __global__ void adafactor_vector_moments_##S(float* v, const T* grad, long n, float beta2t,         \
                                                            float eps1) {                                          \
        adafactor_vector_moments<T>(v, grad, n, beta2t, eps1);                                                     \
    }                                                                                                              \
    extern "C" __global__ void adafactor_squares_partial_##S(float* partials, const T* grad, const float* row,     \
                                                             const float* column, const float* stats, long n,      \
                                                             int rows, int cols) {                                 \
        adafactor_squares_partial<T>(partials, grad, row, column, stats, n, rows, cols);                           \
    }                                                                                                              \
    extern "C" __global__ void adafactor_apply_##S(float* param, const T* grad, const float* row,                  \
                                                   const float* column, const float* stats, long n, int rows,      \
                                                   int cols, float lr, float clipThreshold, float decay) {         \
        adafactor_apply<T>(param, grad, row, column, stats, n, rows, cols, lr, clipThreshold, decay);              \
    }
FOR_EACH_STORAGE(ENTRY)
