// How many blocks each launch shape of the CUDA backend gets, as plain functions of the sizes
// (and the SM count), returned as ints so that sizing a launch makes no object. The column-sum
// and norm splits depend on the sizes alone, never on the device, so a reduction's order (and its
// result) is the same on every GPU. Leaves out launching (KernelLauncher) and which kernel runs.
package org.panatrain.kernels.cuda;

/**
 * Grid sizes of the CUDA kernels.
 *
 * <pre>{@code
 * int blocks = LaunchGrids.gridStrideBlocks(n, smCount);   // blocks of BLOCK threads
 * int chunks = LaunchGrids.rowChunkCount(N), rows = LaunchGrids.rowChunkRows(N);
 * }</pre>
 */
final class LaunchGrids {
    /** Threads per block of the grid-stride, row and column kernels: 8 warps, a size every GPU since sm_30 runs well. */
    static final int BLOCK = 256;
    /** Blocks per SM that a grid-stride launch asks for at most: enough to hide latency, few enough to loop. */
    static final int BLOCKS_PER_SM = 16;
    /** Row chunks of the column sums (bias and layernorm parameter gradients) at most. */
    static final int COLUMN_CHUNKS = 256;
    /** Partial sums per tensor of sumOfSquares at most; fixed so the sum's order depends on the sizes alone. */
    static final int NORM_PARTIALS = 1024;
    /** Elements one thread of a norm partial covers at least, before more blocks are used. */
    static final int NORM_ELEMENTS_PER_THREAD = 16;

    private LaunchGrids() {
    }

    /** A grid-stride launch over {@code work} items: enough blocks to fill the device, never more than the work, at least 1. */
    static int gridStrideBlocks(long work, int smCount) {
        return (int) Math.max(1, Math.min(ceilDiv(work, BLOCK), (long) smCount * BLOCKS_PER_SM));
    }

    /** One warp per row, BLOCK / 32 rows per block, at least 1 block. */
    static int warpPerRowBlocks(long rows) {
        return Math.toIntExact(Math.max(1, ceilDiv(rows * 32, BLOCK)));
    }

    /** Blocks of BLOCK threads with one thread per item: the x size of the column kernels. */
    static int blocksFor(long items) {
        return Math.toIntExact(Math.max(1, ceilDiv(items, BLOCK)));
    }

    /** Rows per chunk when N rows are cut into at most COLUMN_CHUNKS chunks for the column sums (at least 1). */
    static int rowChunkRows(int N) {
        return Math.max(1, (int) ceilDiv(N, Math.min(Math.max(N, 1), COLUMN_CHUNKS)));
    }

    /** Chunks of {@link #rowChunkRows} rows that cover N rows (at least 1). */
    static int rowChunkCount(int N) {
        return (int) Math.max(1, ceilDiv(N, rowChunkRows(N)));
    }

    /** Blocks of one tensor's norm partials (of BLOCK threads): a function of its size alone (determinism). */
    static int normPartials(long numel) {
        return (int) Math.max(1, Math.min(NORM_PARTIALS, ceilDiv(numel, (long) BLOCK * NORM_ELEMENTS_PER_THREAD)));
    }

    static long ceilDiv(long a, long b) {
        return (a + b - 1) / b;
    }
}
