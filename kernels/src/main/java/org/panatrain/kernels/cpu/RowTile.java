// The register-tiled product at the heart of the CPU attention: four rows of x times a row-major
// matrix, 4 rows x 4 vectors of accumulators, so each matrix load feeds four FMAs and each
// broadcast of x feeds four. Leaves out bounds checks beyond the arrays' own and any tail:
// widths are whole vectors (callers pad).
package org.panatrain.kernels.cpu;

import static org.panatrain.kernels.cpu.Vec.L;
import static org.panatrain.kernels.cpu.Vec.S;

import jdk.incubator.vector.FloatVector;

/** out (4, width) = scale * x (4, n) @ m (n, width), all in float arrays. */
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
        int j = 0;
        for (; j + 4 * L <= width; j += 4 * L) {
            FloatVector a00 = FloatVector.zero(S), a01 = a00, a02 = a00, a03 = a00;
            FloatVector a10 = a00, a11 = a00, a12 = a00, a13 = a00;
            FloatVector a20 = a00, a21 = a00, a22 = a00, a23 = a00;
            FloatVector a30 = a00, a31 = a00, a32 = a00, a33 = a00;
            for (int c = 0, base = mOff + j; c < n; c++, base += mStride) {
                FloatVector m0 = FloatVector.fromArray(S, m, base), m1 = FloatVector.fromArray(S, m, base + L);
                FloatVector m2 = FloatVector.fromArray(S, m, base + 2 * L), m3 = FloatVector.fromArray(S, m, base + 3 * L);
                FloatVector x0 = FloatVector.broadcast(S, x[c]);
                a00 = m0.fma(x0, a00);
                a01 = m1.fma(x0, a01);
                a02 = m2.fma(x0, a02);
                a03 = m3.fma(x0, a03);
                FloatVector x1 = FloatVector.broadcast(S, x[xStride + c]);
                a10 = m0.fma(x1, a10);
                a11 = m1.fma(x1, a11);
                a12 = m2.fma(x1, a12);
                a13 = m3.fma(x1, a13);
                FloatVector x2 = FloatVector.broadcast(S, x[2 * xStride + c]);
                a20 = m0.fma(x2, a20);
                a21 = m1.fma(x2, a21);
                a22 = m2.fma(x2, a22);
                a23 = m3.fma(x2, a23);
                FloatVector x3 = FloatVector.broadcast(S, x[3 * xStride + c]);
                a30 = m0.fma(x3, a30);
                a31 = m1.fma(x3, a31);
                a32 = m2.fma(x3, a32);
                a33 = m3.fma(x3, a33);
            }
            store4(a00, a01, a02, a03, out, j, scale);
            store4(a10, a11, a12, a13, out, outStride + j, scale);
            store4(a20, a21, a22, a23, out, 2 * outStride + j, scale);
            store4(a30, a31, a32, a33, out, 3 * outStride + j, scale);
        }
        for (; j < width; j += L) {
            FloatVector a0 = FloatVector.zero(S), a1 = a0, a2 = a0, a3 = a0;
            for (int c = 0, base = mOff + j; c < n; c++, base += mStride) {
                FloatVector m0 = FloatVector.fromArray(S, m, base);
                a0 = m0.fma(FloatVector.broadcast(S, x[c]), a0);
                a1 = m0.fma(FloatVector.broadcast(S, x[xStride + c]), a1);
                a2 = m0.fma(FloatVector.broadcast(S, x[2 * xStride + c]), a2);
                a3 = m0.fma(FloatVector.broadcast(S, x[3 * xStride + c]), a3);
            }
            a0.mul(scale).intoArray(out, j);
            a1.mul(scale).intoArray(out, outStride + j);
            a2.mul(scale).intoArray(out, 2 * outStride + j);
            a3.mul(scale).intoArray(out, 3 * outStride + j);
        }
    }

    private static void store4(FloatVector a0, FloatVector a1, FloatVector a2, FloatVector a3, float[] out, int at, float scale) {
        a0.mul(scale).intoArray(out, at);
        a1.mul(scale).intoArray(out, at + L);
        a2.mul(scale).intoArray(out, at + 2 * L);
        a3.mul(scale).intoArray(out, at + 3 * L);
    }
}
