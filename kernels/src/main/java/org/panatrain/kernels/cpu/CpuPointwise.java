// Elementwise CPU kernels (fill, copy, accumulate, scale, add, GELU forward/backward) and the
// driver that splits a flat element range over the worker threads. Leaves out validation
// (CpuKernels does it) and anything with a reduction.
package org.panatrain.kernels.cpu;

import static org.panatrain.kernels.cpu.Vec.F;
import static org.panatrain.kernels.cpu.Vec.L;
import static org.panatrain.kernels.cpu.Vec.S;

import java.lang.foreign.MemorySegment;
import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorOperators;

/** Vectorized, multi-threaded elementwise ops over flat FP32 segments of n elements. */
final class CpuPointwise {
    /** Elements per scheduling block: 16 KiB of floats. */
    static final int BLOCK = 4096;
    /** Fewest blocks a thread is handed: below ~128 KiB the fork/join costs more than it saves. */
    static final int GRAIN_BLOCKS = 8;

    private static final float GELU_A = (float) Math.sqrt(2.0 / Math.PI);  // sqrt(2/pi)
    private static final float GELU_B = GELU_A * 0.044715f;                // sqrt(2/pi) * 0.044715
    /** exp(80) is finite in FP32; larger arguments only push a sigmoid further into 0. */
    private static final float EXP_CLAMP = 80f;
    private static final FloatVector ONE = FloatVector.broadcast(S, 1f);

    /** A body over the element range [start, end). */
    @FunctionalInterface
    interface ElementRange {
        void run(long start, long end);
    }

    private CpuPointwise() {
    }

    /** Runs body over [0, n) in blocks of BLOCK elements spread over the threads. */
    static void forElements(Parallel par, long n, ElementRange body) {
        int blocks = Math.toIntExact((n + BLOCK - 1) / BLOCK);
        par.forRange(blocks, GRAIN_BLOCKS, (b0, b1) -> body.run((long) b0 * BLOCK, Math.min(n, (long) b1 * BLOCK)));
    }

    static void fill(Parallel par, MemorySegment t, long n, float value) {
        forElements(par, n, (s, e) -> Vec.fill(t, s, e - s, value));
    }

    /** Copies {@code bytes} bytes of any dtype, in blocks of BLOCK bytes. */
    static void copy(Parallel par, MemorySegment dst, MemorySegment src, long bytes) {
        forElements(par, bytes, (s, e) -> MemorySegment.copy(src, s, dst, s, e - s));
    }

    static void accumulate(Parallel par, MemorySegment dst, MemorySegment src, long n) {
        forElements(par, n, (s, e) -> Vec.accumulate(dst, s, src, s, e - s));
    }

    static void scale(Parallel par, MemorySegment t, long n, float factor) {
        forElements(par, n, (s, e) -> Vec.scale(t, s, e - s, factor));
    }

    static void add(Parallel par, MemorySegment out, MemorySegment a, MemorySegment b, long n) {
        forElements(par, n, (s, e) -> Vec.add(out, s, a, s, b, s, e - s));
    }

    /*
     * GELU, tanh form. With u = sqrt(2/pi) (x + 0.044715 x^3), 0.5 (1 + tanh u) = sigmoid(2u)
     * = 1 / (1 + exp(-2u)), so gelu(x) = x / (1 + exp(-2u)): one exp, and no cancellation in
     * 1 + tanh u for negative x (the tanh form loses digits there).
     */

    static void geluForward(Parallel par, MemorySegment out, MemorySegment inp, long n) {
        forElements(par, n, (s, e) -> geluForwardRange(out, inp, s, e));
    }

    private static void geluForwardRange(MemorySegment out, MemorySegment inp, long i, long end) {
        long vend = i + Vec.bound(end - i);
        for (; i < vend; i += L) {
            FloatVector x = Vec.load(inp, i);
            FloatVector minus2u = x.mul(x).mul(-2 * GELU_B).sub(2 * GELU_A).mul(x);
            FloatVector e = minus2u.min(EXP_CLAMP).lanewise(VectorOperators.EXP);
            Vec.store(x.div(e.add(1f)), out, i);
        }
        for (; i < end; i++) {
            float x = inp.getAtIndex(F, i);
            float e = (float) Math.exp(Math.min(EXP_CLAMP, -2 * x * (GELU_A + GELU_B * x * x)));
            out.setAtIndex(F, i, x / (1 + e));
        }
    }

    /*
     * gelu'(x) = s + x * 2 s (1 - s) * u'(x) with s = sigmoid(2u), 1 - s = e s, e = exp(-2u),
     * u'(x) = sqrt(2/pi) (1 + 3 * 0.044715 x^2).
     */

    static void geluBackward(Parallel par, MemorySegment dinp, MemorySegment inp, MemorySegment dout, long n) {
        forElements(par, n, (s, e) -> geluBackwardRange(dinp, inp, dout, s, e));
    }

    private static void geluBackwardRange(MemorySegment dinp, MemorySegment inp, MemorySegment dout, long i, long end) {
        long vend = i + Vec.bound(end - i);
        for (; i < vend; i += L) {
            FloatVector x = Vec.load(inp, i);
            FloatVector x2 = x.mul(x);
            FloatVector e = x2.mul(-2 * GELU_B).sub(2 * GELU_A).mul(x).min(EXP_CLAMP).lanewise(VectorOperators.EXP);
            FloatVector s = ONE.div(e.add(1f));
            FloatVector du = x2.mul(3 * GELU_B).add(GELU_A);
            FloatVector grad = s.add(x.mul(2f).mul(s).mul(e.mul(s)).mul(du));
            Vec.store(Vec.load(dout, i).fma(grad, Vec.load(dinp, i)), dinp, i);
        }
        for (; i < end; i++) {
            dinp.setAtIndex(F, i, dinp.getAtIndex(F, i) + dout.getAtIndex(F, i) * geluGrad(inp.getAtIndex(F, i)));
        }
    }

    private static float geluGrad(float x) {
        float e = (float) Math.exp(Math.min(EXP_CLAMP, -2 * x * (GELU_A + GELU_B * x * x)));
        float s = 1 / (1 + e);
        return s + x * 2 * s * (e * s) * (GELU_A + 3 * GELU_B * x * x);
    }
}
