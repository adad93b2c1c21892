// The register-tiled products at the heart of the CPU attention: four rows of x times a row-major
// matrix, 4 rows x 4 vectors of accumulators, so each matrix load feeds four FMAs and each
// broadcast of x feeds four; and its transpose-side twin, a rank-4 update of accumulator rows
// with the four x rows held in registers. The scalars that multiply vectors are broadcast once
// into scratch first, and the kernels take no scalar operand at all: a broadcast in these large
// methods (even one outside the loop, e.g. v.mul(scale) at the store) made C2 compile the whole
// kernel 5-8x slower (measured: 17 vs 135 GFLOP/s on one core). Leaves out bounds checks beyond
// the arrays' own and any tail: widths are whole vectors (callers pad).
package org.panatrain.kernels.cpu;

import static org.panatrain.kernels.cpu.Vec.F;
import static org.panatrain.kernels.cpu.Vec.L;
import static org.panatrain.kernels.cpu.Vec.S;

import java.lang.foreign.MemorySegment;
import jdk.incubator.vector.FloatVector;

/** out (4, width) = scale * x (4, n) @ m (n, width); acc += w^T x for four rows of w. */
final class RowTile {
    static final int ROWS = 4;

    private RowTile() {
    }

    /**
     * out[r*outStride + j] = scale * sum over c < n of x[r*xStride + c] * m[mOff + c*mStride + j],
     * for r < 4 and j < width; width is a multiple of L.
     */
    static void multiply(float[] x, int xStride, int n, float[] m, int mOff, int mStride, int width,
                         float[] out, int outStride, float scale) {
        float[] xb = broadcastColumns(x, xStride, n, scale);  // (n, 4, L), scale folded in
        int j = 0;
        for (; j + 4 * L <= width; j += 4 * L) {
            FloatVector a00 = FloatVector.zero(S), a01 = a00, a02 = a00, a03 = a00;
            FloatVector a10 = a00, a11 = a00, a12 = a00, a13 = a00;
            FloatVector a20 = a00, a21 = a00, a22 = a00, a23 = a00;
            FloatVector a30 = a00, a31 = a00, a32 = a00, a33 = a00;
            for (int c = 0, base = mOff + j, at = 0; c < n; c++, base += mStride, at += ROWS * L) {
                FloatVector m0 = FloatVector.fromArray(S, m, base), m1 = FloatVector.fromArray(S, m, base + L);
                FloatVector m2 = FloatVector.fromArray(S, m, base + 2 * L), m3 = FloatVector.fromArray(S, m, base + 3 * L);
                FloatVector x0 = FloatVector.fromArray(S, xb, at);
                a00 = m0.fma(x0, a00);
                a01 = m1.fma(x0, a01);
                a02 = m2.fma(x0, a02);
                a03 = m3.fma(x0, a03);
                FloatVector x1 = FloatVector.fromArray(S, xb, at + L);
                a10 = m0.fma(x1, a10);
                a11 = m1.fma(x1, a11);
                a12 = m2.fma(x1, a12);
                a13 = m3.fma(x1, a13);
                FloatVector x2 = FloatVector.fromArray(S, xb, at + 2 * L);
                a20 = m0.fma(x2, a20);
                a21 = m1.fma(x2, a21);
                a22 = m2.fma(x2, a22);
                a23 = m3.fma(x2, a23);
                FloatVector x3 = FloatVector.fromArray(S, xb, at + 3 * L);
                a30 = m0.fma(x3, a30);
                a31 = m1.fma(x3, a31);
                a32 = m2.fma(x3, a32);
                a33 = m3.fma(x3, a33);
            }
            store4(a00, a01, a02, a03, out, j);
            store4(a10, a11, a12, a13, out, outStride + j);
            store4(a20, a21, a22, a23, out, 2 * outStride + j);
            store4(a30, a31, a32, a33, out, 3 * outStride + j);
        }
        for (; j < width; j += L) {
            FloatVector a0 = FloatVector.zero(S), a1 = a0, a2 = a0, a3 = a0;
            for (int c = 0, base = mOff + j, at = 0; c < n; c++, base += mStride, at += ROWS * L) {
                FloatVector m0 = FloatVector.fromArray(S, m, base);
                a0 = m0.fma(FloatVector.fromArray(S, xb, at), a0);
                a1 = m0.fma(FloatVector.fromArray(S, xb, at + L), a1);
                a2 = m0.fma(FloatVector.fromArray(S, xb, at + 2 * L), a2);
                a3 = m0.fma(FloatVector.fromArray(S, xb, at + 3 * L), a3);
            }
            a0.intoArray(out, j);
            a1.intoArray(out, outStride + j);
            a2.intoArray(out, 2 * outStride + j);
            a3.intoArray(out, 3 * outStride + j);
        }
    }

    private static void store4(FloatVector a0, FloatVector a1, FloatVector a2, FloatVector a3, float[] out, int at) {
        a0.intoArray(out, at);
        a1.intoArray(out, at + L);
        a2.intoArray(out, at + 2 * L);
        a3.intoArray(out, at + 3 * L);
    }

    /**
     * acc[(t2 - accFirst)*HSp + j] += sum over r < rows of w[wRow0 + r*T + t2] * x[r*HSp + j], for t2 in
     * [from, to) and j < HSp: a rank-4 update whose weights are read along rows of a (T,T) block of
     * w. x rows at r >= rows are ignored; HSp is a multiple of L.
     */
    static void accumulateOuter(MemorySegment w, long wRow0, int T, int rows, float[] x, int HSp, int from, int to,
                                float[] acc, int accFirst) {
        accumulateBroadcast(broadcastColumns(w, wRow0, T, rows, from, to), x, HSp, from, to, acc, accFirst);
    }

    /**
     * {@link #accumulateOuter} with every weight w[k] (k its index in w) replaced by its dropout:
     * w[k] * scale where {@link org.panatrain.kernels.Philox#keep}(seed, k, threshold), else 0.
     */
    static void accumulateOuterDropped(MemorySegment w, long wRow0, int T, int rows, float[] x, int HSp, int from, int to,
                                       float[] acc, int accFirst, long seed, long threshold, float scale) {
        float[] wb = broadcastColumns(w, wRow0, T, rows, from, to);  // (to-from, 4, L)
        for (int r = 0; r < rows; r++) {
            float[] keep = CpuDropout.keepScales(to - from, wRow0 + (long) r * T + from, seed, threshold, scale);
            for (int t2 = from, at = r * L; t2 < to; t2++, at += ROWS * L) {
                FloatVector.fromArray(S, wb, at).mul(keep[t2 - from]).intoArray(wb, at);
            }
        }
        accumulateBroadcast(wb, x, HSp, from, to, acc, accFirst);
    }

    /** acc[(t2 - accFirst)*HSp + j] += sum over r < 4 of wb[((t2-from)*4 + r)*L] * x[r*HSp + j]. */
    private static void accumulateBroadcast(float[] wb, float[] x, int HSp, int from, int to, float[] acc, int accFirst) {
        int j = 0;
        for (; j + 4 * L <= HSp; j += 4 * L) {
            FloatVector x00 = FloatVector.fromArray(S, x, j), x01 = FloatVector.fromArray(S, x, j + L);
            FloatVector x02 = FloatVector.fromArray(S, x, j + 2 * L), x03 = FloatVector.fromArray(S, x, j + 3 * L);
            FloatVector x10 = FloatVector.fromArray(S, x, HSp + j), x11 = FloatVector.fromArray(S, x, HSp + j + L);
            FloatVector x12 = FloatVector.fromArray(S, x, HSp + j + 2 * L), x13 = FloatVector.fromArray(S, x, HSp + j + 3 * L);
            FloatVector x20 = FloatVector.fromArray(S, x, 2 * HSp + j), x21 = FloatVector.fromArray(S, x, 2 * HSp + j + L);
            FloatVector x22 = FloatVector.fromArray(S, x, 2 * HSp + j + 2 * L);
            FloatVector x23 = FloatVector.fromArray(S, x, 2 * HSp + j + 3 * L);
            FloatVector x30 = FloatVector.fromArray(S, x, 3 * HSp + j), x31 = FloatVector.fromArray(S, x, 3 * HSp + j + L);
            FloatVector x32 = FloatVector.fromArray(S, x, 3 * HSp + j + 2 * L);
            FloatVector x33 = FloatVector.fromArray(S, x, 3 * HSp + j + 3 * L);
            for (int t2 = from, a = (from - accFirst) * HSp + j, at = 0; t2 < to; t2++, a += HSp, at += ROWS * L) {
                FloatVector b0 = FloatVector.fromArray(S, wb, at), b1 = FloatVector.fromArray(S, wb, at + L);
                FloatVector b2 = FloatVector.fromArray(S, wb, at + 2 * L), b3 = FloatVector.fromArray(S, wb, at + 3 * L);
                x00.fma(b0, x10.fma(b1, x20.fma(b2, x30.fma(b3, FloatVector.fromArray(S, acc, a))))).intoArray(acc, a);
                x01.fma(b0, x11.fma(b1, x21.fma(b2, x31.fma(b3, FloatVector.fromArray(S, acc, a + L))))).intoArray(acc, a + L);
                x02.fma(b0, x12.fma(b1, x22.fma(b2, x32.fma(b3, FloatVector.fromArray(S, acc, a + 2 * L)))))
                        .intoArray(acc, a + 2 * L);
                x03.fma(b0, x13.fma(b1, x23.fma(b2, x33.fma(b3, FloatVector.fromArray(S, acc, a + 3 * L)))))
                        .intoArray(acc, a + 3 * L);
            }
        }
        for (; j < HSp; j += L) {
            FloatVector x0 = FloatVector.fromArray(S, x, j), x1 = FloatVector.fromArray(S, x, HSp + j);
            FloatVector x2 = FloatVector.fromArray(S, x, 2 * HSp + j), x3 = FloatVector.fromArray(S, x, 3 * HSp + j);
            for (int t2 = from, a = (from - accFirst) * HSp + j, at = 0; t2 < to; t2++, a += HSp, at += ROWS * L) {
                FloatVector b0 = FloatVector.fromArray(S, wb, at), b1 = FloatVector.fromArray(S, wb, at + L);
                FloatVector b2 = FloatVector.fromArray(S, wb, at + 2 * L), b3 = FloatVector.fromArray(S, wb, at + 3 * L);
                x0.fma(b0, x1.fma(b1, x2.fma(b2, x3.fma(b3, FloatVector.fromArray(S, acc, a))))).intoArray(acc, a);
            }
        }
    }

    /** Scratch (n, 4, L): entry (c, r) is scale * x[r*xStride + c] in every lane. */
    private static float[] broadcastColumns(float[] x, int xStride, int n, float scale) {
        float[] xb = ThreadScratch.floats(ThreadScratch.ROW_TILE, n * ROWS * L);
        for (int c = 0, at = 0; c < n; c++, at += ROWS * L) {
            FloatVector.broadcast(S, scale * x[c]).intoArray(xb, at);
            FloatVector.broadcast(S, scale * x[xStride + c]).intoArray(xb, at + L);
            FloatVector.broadcast(S, scale * x[2 * xStride + c]).intoArray(xb, at + 2 * L);
            FloatVector.broadcast(S, scale * x[3 * xStride + c]).intoArray(xb, at + 3 * L);
        }
        return xb;
    }

    /** Scratch (to-from, 4, L): entry (t2-from, r) is w[wRow0 + r*T + t2] in every lane, 0 for r >= rows. */
    private static float[] broadcastColumns(MemorySegment w, long wRow0, int T, int rows, int from, int to) {
        float[] wb = ThreadScratch.floats(ThreadScratch.ROW_TILE, Math.max(0, to - from) * ROWS * L);
        long w1 = wRow0 + (rows > 1 ? T : 0), w2 = wRow0 + (rows > 2 ? 2L * T : 0), w3 = wRow0 + (rows > 3 ? 3L * T : 0);
        float k1 = rows > 1 ? 1f : 0f, k2 = rows > 2 ? 1f : 0f, k3 = rows > 3 ? 1f : 0f;  // rows past the tile weigh 0
        for (int t2 = from, at = 0; t2 < to; t2++, at += ROWS * L) {
            FloatVector.broadcast(S, w.getAtIndex(F, wRow0 + t2)).intoArray(wb, at);
            FloatVector.broadcast(S, k1 * w.getAtIndex(F, w1 + t2)).intoArray(wb, at + L);
            FloatVector.broadcast(S, k2 * w.getAtIndex(F, w2 + t2)).intoArray(wb, at + 2 * L);
            FloatVector.broadcast(S, k3 * w.getAtIndex(F, w3 + t2)).intoArray(wb, at + 3 * L);
        }
        return wb;
    }
}
