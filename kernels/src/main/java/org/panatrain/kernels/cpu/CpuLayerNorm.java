// Layernorm on the CPU, forward and backward, one row per step, rows spread over the threads.
// The backward's dweight/dbias are column sums over rows: each fixed chunk of ROWS_PER_CHUNK rows
// sums into its own partial, and partials are added in chunk order, so results do not depend on
// the thread count. Leaves out validation (CpuKernels) and other epsilons than 1e-5.
package org.panatrain.kernels.cpu;

import static org.panatrain.kernels.cpu.Vec.F;
import static org.panatrain.kernels.cpu.Vec.L;
import static org.panatrain.kernels.cpu.Vec.S;

import java.lang.foreign.MemorySegment;
import java.util.Arrays;
import jdk.incubator.vector.FloatVector;

/** layernorm over (N,C) segments; mean (N), rstd (N), weight (C), bias (C). */
final class CpuLayerNorm {
    static final float EPS = 1e-5f;
    private static final int GRAIN_ROWS = 16;
    /** Rows whose dweight/dbias contributions share one partial sum. */
    static final int ROWS_PER_CHUNK = 32;

    private static final ThreadLocal<Call> CALLS = ThreadLocal.withInitial(Call::new);

    private CpuLayerNorm() {
    }

    /** The operands of one forward or backward; one object per calling thread, reused call after call. */
    private static final class Call {
        private MemorySegment out;     // forward: out; backward: dinp
        private MemorySegment mean;
        private MemorySegment rstd;
        private MemorySegment inp;
        private MemorySegment weight;
        private MemorySegment bias;    // forward only
        private MemorySegment dout;    // backward only
        private float[] partials;      // backward only
        private int N;
        private int C;

        void forwardRows(int n0, int n1) {
            for (int n = n0; n < n1; n++) {
                forwardRow(out, mean, rstd, inp, weight, bias, n, C);
            }
        }

        void backwardChunks(int k0, int k1) {
            for (int k = k0; k < k1; k++) {
                int off = k * 2 * C;
                Arrays.fill(partials, off, off + 2 * C, 0f);
                for (int n = k * ROWS_PER_CHUNK, end = Math.min(N, n + ROWS_PER_CHUNK); n < end; n++) {
                    backwardRow(partials, off, off + C, out, dout, inp, weight, mean, rstd, n, C);
                }
            }
        }

        Call set(MemorySegment out, MemorySegment mean, MemorySegment rstd, MemorySegment inp, MemorySegment weight,
                 MemorySegment bias, MemorySegment dout, float[] partials, int N, int C) {
            this.out = out;
            this.mean = mean;
            this.rstd = rstd;
            this.inp = inp;
            this.weight = weight;
            this.bias = bias;
            this.dout = dout;
            this.partials = partials;
            this.N = N;
            this.C = C;
            return this;
        }
    }

    static void forward(Parallel par, MemorySegment out, MemorySegment mean, MemorySegment rstd, MemorySegment inp,
                        MemorySegment weight, MemorySegment bias, int N, int C) {
        Call call = CALLS.get().set(out, mean, rstd, inp, weight, bias, null, null, N, C);
        try {
            par.forRange(N, GRAIN_ROWS, call, Call::forwardRows);
        } finally {
            call.set(null, null, null, null, null, null, null, null, 0, 0);
        }
    }

    private static void forwardRow(MemorySegment out, MemorySegment meanOut, MemorySegment rstdOut, MemorySegment inp,
                                   MemorySegment weight, MemorySegment bias, int n, int C) {
        long row = (long) n * C;
        int vc = Vec.bound(C);
        float mean = Vec.sum(inp, row, C) / C;
        FloatVector m = FloatVector.broadcast(S, mean);
        FloatVector acc = FloatVector.zero(S);
        int i = 0;
        for (; i < vc; i += L) {
            FloatVector d = Vec.load(inp, row + i).sub(m);
            acc = d.fma(d, acc);
        }
        float var = Vec.sumLanes(acc);
        for (; i < C; i++) {
            float d = inp.getAtIndex(F, row + i) - mean;
            var += d * d;
        }
        float rstd = (float) (1.0 / Math.sqrt(var / C + EPS));
        FloatVector r = FloatVector.broadcast(S, rstd);
        for (i = 0; i < vc; i += L) {
            FloatVector norm = Vec.load(inp, row + i).sub(m).mul(r);
            Vec.store(norm.fma(Vec.load(weight, i), Vec.load(bias, i)), out, row + i);
        }
        for (; i < C; i++) {
            float norm = (inp.getAtIndex(F, row + i) - mean) * rstd;
            out.setAtIndex(F, row + i, norm * weight.getAtIndex(F, i) + bias.getAtIndex(F, i));
        }
        meanOut.setAtIndex(F, n, mean);
        rstdOut.setAtIndex(F, n, rstd);
    }

    /**
     * dinp += (w dout - mean(w dout) - norm mean(w dout norm)) rstd per row; dweight += sum dout norm,
     * dbias += sum dout. {@code partials} holds at least chunks(N) * 2 * C floats.
     */
    static void backward(Parallel par, float[] partials, MemorySegment dinp, MemorySegment dweight, MemorySegment dbias,
                         MemorySegment dout, MemorySegment inp, MemorySegment weight, MemorySegment mean,
                         MemorySegment rstd, int N, int C) {
        int chunks = chunks(N);
        Call call = CALLS.get().set(dinp, mean, rstd, inp, weight, null, dout, partials, N, C);
        try {
            par.forRange(chunks, 1, call, Call::backwardChunks);
        } finally {
            call.set(null, null, null, null, null, null, null, null, 0, 0);
        }
        for (int k = 0; k < chunks; k++) {
            Vec.accumulate(dweight, 0, partials, k * 2 * C, C);
            Vec.accumulate(dbias, 0, partials, k * 2 * C + C, C);
        }
    }

    /** Number of fixed row chunks of the backward; {@code partials} needs chunks(N) * 2 * C floats. */
    static int chunks(int N) {
        return (N + ROWS_PER_CHUNK - 1) / ROWS_PER_CHUNK;
    }

    private static void backwardRow(float[] partials, int dwOff, int dbOff, MemorySegment dinp, MemorySegment dout,
                                    MemorySegment inp, MemorySegment weight, MemorySegment meanIn,
                                    MemorySegment rstdIn, int n, int C) {
        long row = (long) n * C;
        int vc = Vec.bound(C);
        float mean = meanIn.getAtIndex(F, n), rstd = rstdIn.getAtIndex(F, n);
        FloatVector m = FloatVector.broadcast(S, mean), r = FloatVector.broadcast(S, rstd);
        FloatVector accD = FloatVector.zero(S), accDN = FloatVector.zero(S);
        int i = 0;
        for (; i < vc; i += L) {
            FloatVector norm = Vec.load(inp, row + i).sub(m).mul(r);
            FloatVector dnorm = Vec.load(weight, i).mul(Vec.load(dout, row + i));
            accD = accD.add(dnorm);
            accDN = dnorm.fma(norm, accDN);
        }
        float sumD = Vec.sumLanes(accD), sumDN = Vec.sumLanes(accDN);
        for (; i < C; i++) {
            float norm = (inp.getAtIndex(F, row + i) - mean) * rstd;
            float dnorm = weight.getAtIndex(F, i) * dout.getAtIndex(F, row + i);
            sumD += dnorm;
            sumDN += dnorm * norm;
        }
        float meanD = sumD / C, meanDN = sumDN / C;
        FloatVector mD = FloatVector.broadcast(S, meanD), mDN = FloatVector.broadcast(S, meanDN);
        for (i = 0; i < vc; i += L) {
            FloatVector norm = Vec.load(inp, row + i).sub(m).mul(r);
            FloatVector d = Vec.load(dout, row + i);
            FloatVector dnorm = Vec.load(weight, i).mul(d);
            FloatVector dx = dnorm.sub(mD).sub(norm.mul(mDN)).mul(r);
            Vec.store(Vec.load(dinp, row + i).add(dx), dinp, row + i);
            d.fma(norm, FloatVector.fromArray(S, partials, dwOff + i)).intoArray(partials, dwOff + i);
            d.add(FloatVector.fromArray(S, partials, dbOff + i)).intoArray(partials, dbOff + i);
        }
        for (; i < C; i++) {
            float norm = (inp.getAtIndex(F, row + i) - mean) * rstd;
            float d = dout.getAtIndex(F, row + i);
            float dx = (weight.getAtIndex(F, i) * d - meanD - norm * meanDN) * rstd;
            dinp.setAtIndex(F, row + i, dinp.getAtIndex(F, row + i) + dx);
            partials[dwOff + i] += d * norm;
            partials[dbOff + i] += d;
        }
    }
}
