// Per-thread float scratch for the CPU kernels: each worker thread keeps a few grow-only arrays,
// so the hot path allocates only when a shape first grows. Leaves out zeroing: callers overwrite.
package org.panatrain.kernels.cpu;

/** Numbered grow-only float arrays owned by the calling thread. */
final class ThreadScratch {
    static final int SLOTS = 9;
    /** Slot RowTile uses for broadcast values; callers of RowTile use the others. */
    static final int ROW_TILE = 6;
    /** Slot CpuAttention uses for the row tile it transposes. */
    static final int TRANSPOSE_TILE = 7;
    /** Slot CpuDropout uses for the keep scales of the elements it masks. */
    static final int DROPOUT_MASK = 8;

    private static final ThreadLocal<float[][]> ARRAYS = ThreadLocal.withInitial(() -> new float[SLOTS][0]);

    private ThreadScratch() {
    }

    /** This thread's array number {@code slot}, at least {@code n} long; its contents are left over from earlier use. */
    static float[] floats(int slot, int n) {
        float[][] arrays = ARRAYS.get();
        if (arrays[slot].length < n) {
            arrays[slot] = new float[n];
        }
        return arrays[slot];
    }
}
