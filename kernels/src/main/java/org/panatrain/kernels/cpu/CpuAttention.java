// Causal multi-head self-attention on the CPU, forward and backward, after llm.c's
// attention_forward/backward but vectorized: per (batch, head) pair, K or V is copied transposed
// into per-thread scratch so that a query row's scores are a row of broadcast-FMAs, not T dot
// products with horizontal reductions. Work items are (pair, row block) in the forward and the
// backward's first phase (dq, gradient of the scores), and (pair, column block) in its second
// phase (dk, dv as column sums), so no two threads write one element. Leaves out validation
// (CpuKernels), dropout and masks other than causal.
package org.panatrain.kernels.cpu;

import static org.panatrain.kernels.cpu.Vec.F;
import static org.panatrain.kernels.cpu.Vec.L;
import static org.panatrain.kernels.cpu.Vec.S;

import java.lang.foreign.MemorySegment;
import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorOperators;

/** attention over qkv (B,T,3C), att (B,NH,T,T), out/dout (B,T,C); HS = C/NH. */
final class CpuAttention {
    /** Column vectors per register tile of the row kernels below. */
    private static final int TILE = 4;

    private CpuAttention() {
    }

    /** Geometry of one call; offsets of head h of row (b,t) in qkv and out. */
    private record Dims(int B, int T, int C, int NH, int HS, int HSp, float scale) {
        static Dims of(int B, int T, int C, int NH) {
            int HS = C / NH;
            return new Dims(B, T, C, NH, HS, Vec.roundUp(HS), (float) (1 / Math.sqrt(HS)));
        }

        long q(int b, int t, int h) {
            return ((long) b * T + t) * 3 * C + (long) h * HS;
        }

        long out(int b, int t, int h) {
            return ((long) b * T + t) * C + (long) h * HS;
        }

        /** Start of row t of pair (b,h) in a (B,NH,T,T) tensor. */
        long att(int b, int h, int t) {
            return (((long) b * NH + h) * T + t) * T;
        }
    }

    /** Row blocks per pair so that there are about four work items per thread. */
    private static int blocksPerPair(Parallel par, int pairs, int T) {
        return Math.min(T, Math.max(1, (4 * par.threads() + pairs - 1) / pairs));
    }

    /** A body over pair (b, h) and rows/columns [r0, r1). */
    @FunctionalInterface
    private interface PairBlock {
        void run(int b, int h, int r0, int r1);
    }

    private static void forPairBlocks(Parallel par, Dims d, PairBlock body) {
        int pairs = d.B * d.NH, blocks = blocksPerPair(par, pairs, d.T);
        par.forRange(pairs * blocks, 1, (i0, i1) -> {
            for (int i = i0; i < i1; i++) {
                int pair = i / blocks, blk = i % blocks;
                body.run(pair / d.NH, pair % d.NH, Parallel.chunkStart(d.T, blocks, blk),
                        Parallel.chunkStart(d.T, blocks, blk + 1));
            }
        });
    }

    static void forward(Parallel par, MemorySegment out, MemorySegment att, MemorySegment qkv, int B, int T, int C, int NH) {
        Dims d = Dims.of(B, T, C, NH);
        forPairBlocks(par, d, (b, h, r0, r1) -> forwardBlock(d, out, att, qkv, b, h, r0, r1));
    }

    private static void forwardBlock(Dims d, MemorySegment out, MemorySegment att, MemorySegment qkv,
                                     int b, int h, int r0, int r1) {
        int HS = d.HS, HSp = d.HSp, stride = Vec.roundUp(r1);
        float[] kt = ThreadScratch.floats(0, HS * stride);   // (HS, stride) keys, transposed
        float[] vr = ThreadScratch.floats(1, r1 * HSp);      // (r1, HSp) values
        float[] q = ThreadScratch.floats(2, HS);             // (HS)
        float[] s = ThreadScratch.floats(3, stride);         // (stride) scores, then probabilities
        float[] o = ThreadScratch.floats(4, HSp);            // (HSp)
        transposeRows(qkv, d, b, h, d.C, r1, kt, stride);
        for (int t2 = 0; t2 < r1; t2++) {
            Vec.copy(qkv, d.q(b, t2, h) + 2L * d.C, vr, t2 * HSp, HS);
        }
        for (int t = r0; t < r1; t++) {
            int len = t + 1, padded = Vec.roundUp(len);
            Vec.copy(qkv, d.q(b, t, h), q, 0, HS);
            rowTimesColumns(q, HS, kt, stride, s, padded, d.scale);
            for (int j = len; j < padded; j++) {
                s[j] = Float.NEGATIVE_INFINITY;
            }
            softmaxInPlace(s, padded);
            long attRow = d.att(b, h, t);
            int written = Math.min(padded, d.T);
            Vec.copy(s, 0, att, attRow, written);
            Vec.fill(att, attRow + written, d.T - written, 0f);
            weightedRowSum(s, len, vr, 0, HSp, o);
            Vec.copy(o, 0, out, d.out(b, t, h), HS);
        }
    }

    /** dst[c * stride + t2] = qkv[b, t2, part + h*HS + c] for t2 < rows: K (part C) or V (part 2C) transposed. */
    private static void transposeRows(MemorySegment qkv, Dims d, int b, int h, int part, int rows, float[] dst, int stride) {
        float[] row = ThreadScratch.floats(7, d.HS);
        for (int t2 = 0; t2 < rows; t2++) {
            Vec.copy(qkv, d.q(b, t2, h) + part, row, 0, d.HS);
            for (int c = 0; c < d.HS; c++) {
                dst[c * stride + t2] = row[c];
            }
        }
    }

    /**
     * s[0, padded) = scale * (x[0, n) @ m (n, stride)[:, 0, padded)): each output vector is a chain of
     * FMAs over n, TILE output vectors at a time to hide FMA latency.
     */
    private static void rowTimesColumns(float[] x, int n, float[] m, int stride, float[] s, int padded, float scale) {
        int j = 0;
        for (; j + TILE * L <= padded; j += TILE * L) {
            FloatVector a0 = FloatVector.zero(S), a1 = a0, a2 = a0, a3 = a0;
            for (int c = 0, base = j; c < n; c++, base += stride) {
                FloatVector xc = FloatVector.broadcast(S, x[c]);
                a0 = FloatVector.fromArray(S, m, base).fma(xc, a0);
                a1 = FloatVector.fromArray(S, m, base + L).fma(xc, a1);
                a2 = FloatVector.fromArray(S, m, base + 2 * L).fma(xc, a2);
                a3 = FloatVector.fromArray(S, m, base + 3 * L).fma(xc, a3);
            }
            a0.mul(scale).intoArray(s, j);
            a1.mul(scale).intoArray(s, j + L);
            a2.mul(scale).intoArray(s, j + 2 * L);
            a3.mul(scale).intoArray(s, j + 3 * L);
        }
        for (; j < padded; j += L) {
            FloatVector a0 = FloatVector.zero(S);
            for (int c = 0, base = j; c < n; c++, base += stride) {
                a0 = FloatVector.fromArray(S, m, base).fma(FloatVector.broadcast(S, x[c]), a0);
            }
            a0.mul(scale).intoArray(s, j);
        }
    }

    /** s[0, padded) = softmax(s[0, padded)); entries of -inf become 0. */
    private static void softmaxInPlace(float[] s, int padded) {
        FloatVector mx = FloatVector.broadcast(S, Float.NEGATIVE_INFINITY);
        for (int j = 0; j < padded; j += L) {
            mx = mx.max(FloatVector.fromArray(S, s, j));
        }
        float max = mx.reduceLanes(VectorOperators.MAX);
        FloatVector sum = FloatVector.zero(S);
        for (int j = 0; j < padded; j += L) {
            FloatVector e = FloatVector.fromArray(S, s, j).sub(max).lanewise(VectorOperators.EXP);
            sum = sum.add(e);
            e.intoArray(s, j);
        }
        float inv = 1f / sum.reduceLanes(VectorOperators.ADD);
        for (int j = 0; j < padded; j += L) {
            FloatVector.fromArray(S, s, j).mul(inv).intoArray(s, j);
        }
    }

    /** o[0, HSp) = sum over i < n of w[i] * rows[first + i*HSp, +HSp). */
    private static void weightedRowSum(float[] w, int n, float[] rows, int first, int HSp, float[] o) {
        int c = 0;
        for (; c + TILE * L <= HSp; c += TILE * L) {
            FloatVector a0 = FloatVector.zero(S), a1 = a0, a2 = a0, a3 = a0;
            for (int i = 0, base = first + c; i < n; i++, base += HSp) {
                FloatVector wi = FloatVector.broadcast(S, w[i]);
                a0 = FloatVector.fromArray(S, rows, base).fma(wi, a0);
                a1 = FloatVector.fromArray(S, rows, base + L).fma(wi, a1);
                a2 = FloatVector.fromArray(S, rows, base + 2 * L).fma(wi, a2);
                a3 = FloatVector.fromArray(S, rows, base + 3 * L).fma(wi, a3);
            }
            a0.intoArray(o, c);
            a1.intoArray(o, c + L);
            a2.intoArray(o, c + 2 * L);
            a3.intoArray(o, c + 3 * L);
        }
        for (; c < HSp; c += L) {
            FloatVector a0 = FloatVector.zero(S);
            for (int i = 0, base = first + c; i < n; i++, base += HSp) {
                a0 = FloatVector.fromArray(S, rows, base).fma(FloatVector.broadcast(S, w[i]), a0);
            }
            a0.intoArray(o, c);
        }
    }

    /*
     * Backward. With P = att, dP = dout V^T, the softmax backward gives the score gradient
     * dS = P * (dP - rowsum(P * dP)) * scale (scale folded in); then dq = dS K, dk = dS^T Q and
     * dv = P^T dout. Phase 1 (row blocks) writes dS into scratch and accumulates dq; phase 2
     * (column blocks) accumulates dk and dv, each column t2 summing over rows t >= t2 in order.
     * scratch therefore holds the gradient of the pre-softmax scores, already scaled.
     */

    static void backward(Parallel par, MemorySegment dqkv, MemorySegment scratch, MemorySegment dout, MemorySegment qkv,
                         MemorySegment att, int B, int T, int C, int NH) {
        Dims d = Dims.of(B, T, C, NH);
        forPairBlocks(par, d, (b, h, r0, r1) -> scoreGradBlock(d, dqkv, scratch, dout, qkv, att, b, h, r0, r1));
        forPairBlocks(par, d, (b, h, c0, c1) -> keyValueGradBlock(d, dqkv, scratch, dout, qkv, att, b, h, c0, c1));
    }

    private static void scoreGradBlock(Dims d, MemorySegment dqkv, MemorySegment dscores, MemorySegment dout,
                                       MemorySegment qkv, MemorySegment att, int b, int h, int r0, int r1) {
        int HS = d.HS, HSp = d.HSp, stride = Vec.roundUp(r1);
        float[] vt = ThreadScratch.floats(0, HS * stride);   // (HS, stride) values, transposed
        float[] kr = ThreadScratch.floats(1, r1 * HSp);      // (r1, HSp) keys
        float[] g = ThreadScratch.floats(2, HS);             // (HS) dout row
        float[] ds = ThreadScratch.floats(3, stride);        // (stride) dP, then dS
        float[] p = ThreadScratch.floats(4, stride);         // (stride) P row
        float[] dq = ThreadScratch.floats(5, HSp);           // (HSp)
        transposeRows(qkv, d, b, h, 2 * d.C, r1, vt, stride);
        for (int t2 = 0; t2 < r1; t2++) {
            Vec.copy(qkv, d.q(b, t2, h) + d.C, kr, t2 * HSp, HS);
        }
        for (int t = r0; t < r1; t++) {
            int len = t + 1, padded = Vec.roundUp(len);
            long attRow = d.att(b, h, t);
            Vec.copy(dout, d.out(b, t, h), g, 0, HS);
            rowTimesColumns(g, HS, vt, stride, ds, padded, 1f);
            Vec.copy(att, attRow, p, 0, len);
            for (int j = len; j < padded; j++) {
                p[j] = 0f;
                ds[j] = 0f;
            }
            FloatVector acc = FloatVector.zero(S);
            for (int j = 0; j < padded; j += L) {
                acc = FloatVector.fromArray(S, p, j).fma(FloatVector.fromArray(S, ds, j), acc);
            }
            float dot = acc.reduceLanes(VectorOperators.ADD);
            for (int j = 0; j < padded; j += L) {
                FloatVector pj = FloatVector.fromArray(S, p, j);
                FloatVector.fromArray(S, ds, j).sub(dot).mul(pj).mul(d.scale).intoArray(ds, j);
            }
            int written = Math.min(padded, d.T);
            Vec.copy(ds, 0, dscores, attRow, written);
            Vec.fill(dscores, attRow + written, d.T - written, 0f);
            weightedRowSum(ds, len, kr, 0, HSp, dq);
            Vec.accumulate(dqkv, d.q(b, t, h), dq, 0, HS);
        }
    }

    private static void keyValueGradBlock(Dims d, MemorySegment dqkv, MemorySegment dscores, MemorySegment dout,
                                          MemorySegment qkv, MemorySegment att, int b, int h, int c0, int c1) {
        int HS = d.HS, HSp = d.HSp, T = d.T, rows = T - c0;
        float[] qr = ThreadScratch.floats(0, rows * HSp);    // (T - c0, HSp) queries of rows c0..T
        float[] gr = ThreadScratch.floats(1, rows * HSp);    // (T - c0, HSp) dout rows c0..T
        float[] ds = ThreadScratch.floats(2, rows);          // (T - c0) a column of dS
        float[] p = ThreadScratch.floats(3, rows);           // (T - c0) a column of P
        float[] acc = ThreadScratch.floats(4, HSp);          // (HSp)
        for (int t = c0; t < T; t++) {
            Vec.copy(qkv, d.q(b, t, h), qr, (t - c0) * HSp, HS);
            Vec.copy(dout, d.out(b, t, h), gr, (t - c0) * HSp, HS);
        }
        long pairStart = d.att(b, h, 0);
        for (int t2 = c0; t2 < c1; t2++) {
            int n = T - t2;
            for (int i = 0; i < n; i++) {
                long at = pairStart + (long) (t2 + i) * T + t2;
                ds[i] = dscores.getAtIndex(F, at);
                p[i] = att.getAtIndex(F, at);
            }
            weightedRowSum(ds, n, qr, (t2 - c0) * HSp, HSp, acc);
            Vec.accumulate(dqkv, d.q(b, t2, h) + d.C, acc, 0, HS);
            weightedRowSum(p, n, gr, (t2 - c0) * HSp, HSp, acc);
            Vec.accumulate(dqkv, d.q(b, t2, h) + 2L * d.C, acc, 0, HS);
        }
    }
}
