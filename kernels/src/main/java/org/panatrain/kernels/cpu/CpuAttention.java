// Causal multi-head self-attention on the CPU, forward and backward, after llm.c's
// attention_forward/backward but vectorized: per (batch, head) pair, K or V is copied transposed
// into per-thread scratch, and four query rows at a time go through RowTile's register-tiled
// product, so scores and att @ v are broadcast-FMAs, not dot products with horizontal sums.
// Work items are (pair, row block) in the forward and the backward's first phase (dq, gradient
// of the scores), and (pair, column block) in its second phase (dk, dv as column sums), so no two
// threads write one element. Dropout on the probabilities (CpuDropout's mask of the flat att index)
// masks the rows that multiply v and the rows of their gradient; att keeps the softmax before it.
// Leaves out validation (CpuKernels) and non-causal masks.
package org.panatrain.kernels.cpu;

import static org.panatrain.kernels.cpu.RowTile.ROWS;
import static org.panatrain.kernels.cpu.Vec.L;
import static org.panatrain.kernels.cpu.Vec.S;

import java.lang.foreign.MemorySegment;
import java.util.Arrays;
import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorOperators;
import org.panatrain.kernels.Philox;

/** attention over qkv (B,T,3C), att (B,NH,T,T), out/dout (B,T,C); HS = C/NH. */
final class CpuAttention {
    private static final ThreadLocal<Call> CALLS = ThreadLocal.withInitial(Call::new);

    private CpuAttention() {
    }

    /**
     * Geometry of one call; offsets of head h of row (b,t) in qkv and out. The dropout of the
     * probabilities: its Philox seed, threshold (0: none) and the scale of kept values. Set per
     * call, reused.
     */
    private static final class Dims {
        private int B;
        private int T;
        private int C;
        private int NH;
        private int HS;
        private int HSp;
        private float scale;
        private long seed;
        private long threshold;
        private float keepScale;

        Dims set(int B, int T, int C, int NH, float dropout, long seed) {
            this.B = B;
            this.T = T;
            this.C = C;
            this.NH = NH;
            this.HS = C / NH;
            this.HSp = Vec.roundUp(HS);
            this.scale = (float) (1 / Math.sqrt(HS));
            this.seed = seed;
            this.threshold = Philox.threshold(dropout);
            this.keepScale = Philox.keepScale(dropout);
            return this;
        }

        boolean dropout() {
            return threshold > 0;
        }

        /**
         * The keep scales of att rows t0 .. t0+rows-1 of pair (b,h): entry r*T + j for row t0+r,
         * column j; this thread's scratch until its next draw.
         */
        float[] keep(int b, int h, int t0, int rows) {
            return CpuDropout.keepScales(rows * T, att(b, h, t0), seed, threshold, keepScale);
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

    /**
     * The operands of one forward or backward phase, one object per calling thread, reused call
     * after call, so that handing the work items to the threads allocates nothing.
     */
    private static final class Call {
        private final Dims d = new Dims();
        private MemorySegment out;       // forward only
        private MemorySegment att;
        private MemorySegment qkv;
        private MemorySegment dqkv;      // backward only
        private MemorySegment scratch;   // backward only
        private MemorySegment dout;      // backward only
        private PairBlock body;
        private int blocks;              // row or column blocks per pair

        /** Work items [i0, i1): item i is block i % blocks of pair i / blocks. */
        void items(int i0, int i1) {
            for (int i = i0; i < i1; i++) {
                int pair = i / blocks, blk = i % blocks;
                body.run(this, pair / d.NH, pair % d.NH, Parallel.chunkStart(d.T, blocks, blk),
                        Parallel.chunkStart(d.T, blocks, blk + 1));
            }
        }

        void clear() {
            out = att = qkv = dqkv = scratch = dout = null;
            body = null;
        }
    }

    /** A body over pair (b, h) and rows/columns [r0, r1), reading the operands from the call. */
    @FunctionalInterface
    private interface PairBlock {
        void run(Call c, int b, int h, int r0, int r1);
    }

    /** Runs body over every pair split into row blocks: about four work items per thread. */
    private static void forPairBlocks(Parallel par, Call c, PairBlock body) {
        int pairs = c.d.B * c.d.NH;
        c.blocks = Math.min(c.d.T, Math.max(1, (4 * par.threads() + pairs - 1) / pairs));
        c.body = body;
        par.forRange(pairs * c.blocks, 1, c, Call::items);
    }

    static void forward(Parallel par, MemorySegment out, MemorySegment att, MemorySegment qkv, int B, int T, int C, int NH,
                        float dropout, long seed) {
        Call c = CALLS.get();
        c.d.set(B, T, C, NH, dropout, seed);
        c.out = out;
        c.att = att;
        c.qkv = qkv;
        try {
            forPairBlocks(par, c, (k, b, h, r0, r1) -> forwardBlock(k.d, k.out, k.att, k.qkv, b, h, r0, r1));
        } finally {
            c.clear();
        }
    }

    private static void forwardBlock(Dims d, MemorySegment out, MemorySegment att, MemorySegment qkv,
                                     int b, int h, int r0, int r1) {
        int HS = d.HS, HSp = d.HSp, stride = Vec.roundUp(r1);
        float[] kt = ThreadScratch.floats(0, HS * stride);   // (HS, stride) keys, transposed
        float[] vr = ThreadScratch.floats(1, r1 * HSp);      // (r1, HSp) values
        float[] q = ThreadScratch.floats(2, ROWS * HS);      // (4, HS) query rows
        float[] s = ThreadScratch.floats(3, ROWS * stride);  // (4, stride) scores, then probabilities
        float[] o = ThreadScratch.floats(4, ROWS * HSp);     // (4, HSp) output rows
        transposeRows(qkv, d, b, h, d.C, r1, kt, stride);
        for (int t2 = 0; t2 < r1; t2++) {
            Vec.copy(qkv, d.q(b, t2, h) + 2L * d.C, vr, t2 * HSp, HS);
        }
        for (int t0 = r0; t0 < r1; t0 += ROWS) {
            int rows = Math.min(ROWS, r1 - t0), lenMax = t0 + rows, padded = Vec.roundUp(lenMax);
            for (int r = 0; r < ROWS; r++) {
                if (r < rows) {
                    Vec.copy(qkv, d.q(b, t0 + r, h), q, r * HS, HS);
                } else {
                    Arrays.fill(q, r * HS, (r + 1) * HS, 0f);
                }
            }
            RowTile.multiply(q, HS, HS, kt, 0, stride, padded, s, stride, d.scale);
            float[] keep = d.dropout() ? d.keep(b, h, t0, rows) : null;
            for (int r = 0; r < ROWS; r++) {
                int row = r * stride, len = t0 + r + 1;
                if (r >= rows) {
                    Arrays.fill(s, row, row + padded, 0f);  // no probabilities for rows past the block
                    continue;
                }
                Arrays.fill(s, row + len, row + padded, Float.NEGATIVE_INFINITY);
                softmaxInPlace(s, row, padded);
                writeRow(s, row, padded, att, d.att(b, h, t0 + r), d.T);
                if (keep != null) {
                    CpuDropout.apply(s, row, keep, r * d.T, len);
                }
            }
            RowTile.multiply(s, stride, lenMax, vr, 0, HSp, HSp, o, HSp, 1f);
            for (int r = 0; r < rows; r++) {
                Vec.copy(o, r * HSp, out, d.out(b, t0 + r, h), HS);
            }
        }
    }

    /**
     * dst[c * stride + t2] = qkv[b, t2, part + h*HS + c] for t2 < rows: K (part C) or V (part 2C)
     * transposed, through a tile of L rows so that every store run fills whole cache lines. (A
     * column-at-a-time scatter with a power-of-two stride maps to a few cache sets and thrashed L1.)
     */
    private static void transposeRows(MemorySegment qkv, Dims d, int b, int h, int part, int rows, float[] dst, int stride) {
        int HS = d.HS;
        float[] tile = ThreadScratch.floats(ThreadScratch.TRANSPOSE_TILE, L * HS);  // (L, HS)
        for (int t2b = 0; t2b < rows; t2b += L) {
            int nb = Math.min(L, rows - t2b);
            for (int i = 0; i < nb; i++) {
                Vec.copy(qkv, d.q(b, t2b + i, h) + part, tile, i * HS, HS);
            }
            for (int c = 0; c < HS; c++) {
                int base = c * stride + t2b;
                for (int i = 0; i < nb; i++) {
                    dst[base + i] = tile[i * HS + c];
                }
            }
        }
    }

    /** A T-long row of a (B,NH,T,T) tensor: s[from, from+padded) then zeros. */
    private static void writeRow(float[] s, int from, int padded, MemorySegment dst, long at, int T) {
        int written = Math.min(padded, T);
        Vec.copy(s, from, dst, at, written);
        Vec.fill(dst, at + written, T - written, 0f);
    }

    /** s[from, from+padded) = softmax of itself; entries of -inf become 0. */
    private static void softmaxInPlace(float[] s, int from, int padded) {
        int end = from + padded;
        FloatVector mx = FloatVector.broadcast(S, Float.NEGATIVE_INFINITY);
        for (int j = from; j < end; j += L) {
            mx = mx.max(FloatVector.fromArray(S, s, j));
        }
        float max = mx.reduceLanes(VectorOperators.MAX);
        float inv = 1f / Exp.shiftedSum(s, from, end, max);
        for (int j = from; j < end; j += L) {
            FloatVector.fromArray(S, s, j).mul(inv).intoArray(s, j);
        }
    }

    /*
     * Backward. With P = att, dP = dout V^T, the softmax backward gives the score gradient
     * dS = P * (dP - rowsum(P * dP)) * scale (scale folded in); then dq = dS K, dk = dS^T Q and
     * dv = P^T dout. Phase 1 (row blocks) writes dS into scratch and accumulates dq; phase 2
     * (column blocks) accumulates dk and dv, each column t2 summing over rows t >= t2 in order.
     * scratch therefore holds the gradient of the pre-softmax scores, already scaled. With dropout,
     * dP = mask * (dout V^T) / (1-p) and dv = dropout(P)^T dout, with the forward's mask.
     */

    static void backward(Parallel par, MemorySegment dqkv, MemorySegment scratch, MemorySegment dout, MemorySegment qkv,
                         MemorySegment att, int B, int T, int C, int NH, float dropout, long seed) {
        Call c = CALLS.get();
        c.d.set(B, T, C, NH, dropout, seed);
        c.dqkv = dqkv;
        c.scratch = scratch;
        c.dout = dout;
        c.qkv = qkv;
        c.att = att;
        try {
            forPairBlocks(par, c, (k, b, h, r0, r1) ->
                    scoreGradBlock(k.d, k.dqkv, k.scratch, k.dout, k.qkv, k.att, b, h, r0, r1));
            forPairBlocks(par, c, (k, b, h, c0, c1) ->
                    keyValueGradBlock(k.d, k.dqkv, k.scratch, k.dout, k.qkv, k.att, b, h, c0, c1));
        } finally {
            c.clear();
        }
    }

    private static void scoreGradBlock(Dims d, MemorySegment dqkv, MemorySegment dscores, MemorySegment dout,
                                       MemorySegment qkv, MemorySegment att, int b, int h, int r0, int r1) {
        int HS = d.HS, HSp = d.HSp, stride = Vec.roundUp(r1);
        float[] vt = ThreadScratch.floats(0, HS * stride);    // (HS, stride) values, transposed
        float[] kr = ThreadScratch.floats(1, r1 * HSp);       // (r1, HSp) keys
        float[] g = ThreadScratch.floats(2, ROWS * HS);       // (4, HS) dout rows
        float[] ds = ThreadScratch.floats(3, ROWS * stride);  // (4, stride) dP, then dS
        float[] p = ThreadScratch.floats(4, stride);          // (stride) one P row
        float[] dq = ThreadScratch.floats(5, ROWS * HSp);     // (4, HSp)
        transposeRows(qkv, d, b, h, 2 * d.C, r1, vt, stride);
        for (int t2 = 0; t2 < r1; t2++) {
            Vec.copy(qkv, d.q(b, t2, h) + d.C, kr, t2 * HSp, HS);
        }
        for (int t0 = r0; t0 < r1; t0 += ROWS) {
            int rows = Math.min(ROWS, r1 - t0), lenMax = t0 + rows, padded = Vec.roundUp(lenMax);
            for (int r = 0; r < ROWS; r++) {
                if (r < rows) {
                    Vec.copy(dout, d.out(b, t0 + r, h), g, r * HS, HS);
                } else {
                    Arrays.fill(g, r * HS, (r + 1) * HS, 0f);
                }
            }
            RowTile.multiply(g, HS, HS, vt, 0, stride, padded, ds, stride, 1f);
            float[] keep = d.dropout() ? d.keep(b, h, t0, rows) : null;
            for (int r = 0; r < ROWS; r++) {
                int row = r * stride, len = t0 + r + 1;
                if (r >= rows) {
                    Arrays.fill(ds, row, row + padded, 0f);
                    continue;
                }
                long attRow = d.att(b, h, t0 + r);
                Vec.copy(att, attRow, p, 0, len);
                Arrays.fill(p, len, padded, 0f);
                Arrays.fill(ds, row + len, row + padded, 0f);
                if (keep != null) {
                    CpuDropout.apply(ds, row, keep, r * d.T, len);   // d(dropped P) -> d(P)
                }
                softmaxBackwardInPlace(p, ds, row, padded, d.scale);
                writeRow(ds, row, padded, dscores, attRow, d.T);
            }
            RowTile.multiply(ds, stride, lenMax, kr, 0, HSp, HSp, dq, HSp, 1f);
            for (int r = 0; r < rows; r++) {
                Vec.accumulate(dqkv, d.q(b, t0 + r, h), dq, r * HSp, HS);
            }
        }
    }

    /** ds[from + j] = p[j] * (ds[from + j] - sum_i p[i] ds[from + i]) * scale, for j < padded. */
    private static void softmaxBackwardInPlace(float[] p, float[] ds, int from, int padded, float scale) {
        FloatVector acc = FloatVector.zero(S);
        for (int j = 0; j < padded; j += L) {
            acc = FloatVector.fromArray(S, p, j).fma(FloatVector.fromArray(S, ds, from + j), acc);
        }
        float dot = Vec.sumLanes(acc);
        for (int j = 0; j < padded; j += L) {
            FloatVector pj = FloatVector.fromArray(S, p, j);
            FloatVector.fromArray(S, ds, from + j).sub(dot).mul(pj).mul(scale).intoArray(ds, from + j);
        }
    }

    private static void keyValueGradBlock(Dims d, MemorySegment dqkv, MemorySegment dscores, MemorySegment dout,
                                          MemorySegment qkv, MemorySegment att, int b, int h, int c0, int c1) {
        int HS = d.HS, HSp = d.HSp, T = d.T, cols = c1 - c0;
        float[] q = ThreadScratch.floats(0, ROWS * HSp);      // (4, HSp) query rows of a tile
        float[] g = ThreadScratch.floats(1, ROWS * HSp);      // (4, HSp) dout rows of a tile
        float[] dk = ThreadScratch.floats(2, cols * HSp);     // (c1 - c0, HSp) dk of the block's columns
        float[] dv = ThreadScratch.floats(3, cols * HSp);     // (c1 - c0, HSp) dv of the block's columns
        Arrays.fill(dk, 0, cols * HSp, 0f);
        Arrays.fill(dv, 0, cols * HSp, 0f);
        for (int t0 = c0; t0 < T; t0 += ROWS) {
            int rows = Math.min(ROWS, T - t0);
            for (int r = 0; r < ROWS; r++) {
                if (r < rows) {
                    Vec.copy(qkv, d.q(b, t0 + r, h), q, r * HSp, HS);
                    Vec.copy(dout, d.out(b, t0 + r, h), g, r * HSp, HS);
                } else {
                    Arrays.fill(q, r * HSp, (r + 1) * HSp, 0f);
                    Arrays.fill(g, r * HSp, (r + 1) * HSp, 0f);
                }
            }
            // Rows t0.. reach columns up to their diagonal; dS and P are zero above it.
            int t2End = Math.min(c1, t0 + rows);
            long w0 = d.att(b, h, t0);
            RowTile.accumulateOuter(dscores, w0, T, rows, q, HSp, c0, t2End, dk, c0);
            if (d.dropout()) {
                RowTile.accumulateOuterDropped(att, w0, T, rows, g, HSp, c0, t2End, dv, c0, d.seed, d.threshold, d.keepScale);
            } else {
                RowTile.accumulateOuter(att, w0, T, rows, g, HSp, c0, t2End, dv, c0);
            }
        }
        for (int t2 = c0; t2 < c1; t2++) {
            Vec.accumulate(dqkv, d.q(b, t2, h) + d.C, dk, (t2 - c0) * HSp, HS);
            Vec.accumulate(dqkv, d.q(b, t2, h) + 2L * d.C, dv, (t2 - c0) * HSp, HS);
        }
    }
}
