// Elementwise CPU kernels (fill, copy, accumulate, scale, add, GELU forward/backward) and the
// driver that splits a flat element range over the worker threads. Leaves out validation
// (CpuKernels does it) and anything with a reduction.
package org.panatrain.kernels.cpu;

import static org.panatrain.kernels.cpu.Vec.F;
import static org.panatrain.kernels.cpu.Vec.L;
import static org.panatrain.kernels.cpu.Vec.S;

import java.lang.foreign.MemorySegment;
import jdk.incubator.vector.FloatVector;

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

    /**
     * A call over the elements [0, n): a subclass holds the operands in fields, set before the call,
     * so that handing the call to the threads allocates nothing (a capturing lambda would).
     */
    abstract static class ElementCall {
        private long n;

        /** The call's work on the elements [start, end). */
        abstract void run(long start, long end);

        private void runBlocks(int b0, int b1) {
            run((long) b0 * BLOCK, Math.min(n, (long) b1 * BLOCK));
        }
    }

    /** Which elementwise op an {@link Operands} call runs. */
    private enum Kind { FILL, COPY, ACCUMULATE, SCALE, ADD }

    /** The operands of one elementwise op: out (op) a, b, value; one object per calling thread, reused. */
    private static final class Operands extends ElementCall {
        private Kind kind;
        private MemorySegment out;
        private MemorySegment a;
        private MemorySegment b;
        private float value;

        @Override
        void run(long s, long e) {
            switch (kind) {
                case FILL -> Vec.fill(out, s, e - s, value);
                case COPY -> MemorySegment.copy(a, s, out, s, e - s);
                case ACCUMULATE -> Vec.accumulate(out, s, a, s, e - s);
                case SCALE -> Vec.scale(out, s, e - s, value);
                case ADD -> Vec.add(out, s, a, s, b, s, e - s);
            }
        }
    }

    /*
     * GELU forward and backward are calls of their own, not kinds of Operands, so that C2 never
     * compiles both GELU loops (each with Exp's vector ops inlined) into one Operands.run with the
     * other ops: that would go over its inlining budget, and the vector ops would then allocate.
     * (As kinds of Operands they allocated nothing in a warm step when measured, because C2 had
     * compiled the GELU loops on their own first; that depends on the order it compiles them in.)
     */

    /** GELU forward's operands: out = gelu(inp); one object per calling thread, reused. */
    private static final class GeluForward extends ElementCall {
        private MemorySegment out;
        private MemorySegment inp;

        @Override
        void run(long s, long e) {
            geluForwardRange(out, inp, s, e);
        }
    }

    /** GELU backward's operands: dinp += dout * gelu'(inp); one object per calling thread, reused. */
    private static final class GeluBackward extends ElementCall {
        private MemorySegment dinp;
        private MemorySegment inp;
        private MemorySegment dout;

        @Override
        void run(long s, long e) {
            geluBackwardRange(dinp, inp, dout, s, e);
        }
    }

    private static final ThreadLocal<Operands> OPERANDS = ThreadLocal.withInitial(Operands::new);
    private static final ThreadLocal<GeluForward> GELU_FORWARD = ThreadLocal.withInitial(GeluForward::new);
    private static final ThreadLocal<GeluBackward> GELU_BACKWARD = ThreadLocal.withInitial(GeluBackward::new);

    private CpuPointwise() {
    }

    /** Runs call over [0, n) in blocks of BLOCK elements spread over the threads. */
    static void forElements(Parallel par, long n, ElementCall call) {
        int blocks = Math.toIntExact((n + BLOCK - 1) / BLOCK);
        call.n = n;
        par.forRange(blocks, GRAIN_BLOCKS, call, ElementCall::runBlocks);
    }

    /** Runs op kind over [0, n) with this thread's Operands, dropping the segments afterwards. */
    private static void run(Parallel par, Kind kind, long n, MemorySegment out, MemorySegment a, MemorySegment b,
                            float value) {
        Operands o = OPERANDS.get();
        o.kind = kind;
        o.out = out;
        o.a = a;
        o.b = b;
        o.value = value;
        try {
            forElements(par, n, o);
        } finally {
            o.out = null;
            o.a = null;
            o.b = null;
        }
    }

    static void fill(Parallel par, MemorySegment t, long n, float value) {
        run(par, Kind.FILL, n, t, null, null, value);
    }

    /** Copies {@code bytes} bytes of any dtype, in blocks of BLOCK bytes. */
    static void copy(Parallel par, MemorySegment dst, MemorySegment src, long bytes) {
        run(par, Kind.COPY, bytes, dst, src, null, 0f);
    }

    static void accumulate(Parallel par, MemorySegment dst, MemorySegment src, long n) {
        run(par, Kind.ACCUMULATE, n, dst, src, null, 0f);
    }

    static void scale(Parallel par, MemorySegment t, long n, float factor) {
        run(par, Kind.SCALE, n, t, null, null, factor);
    }

    static void add(Parallel par, MemorySegment out, MemorySegment a, MemorySegment b, long n) {
        run(par, Kind.ADD, n, out, a, b, 0f);
    }

    /*
     * GELU, tanh form. With u = sqrt(2/pi) (x + 0.044715 x^3), 0.5 (1 + tanh u) = sigmoid(2u)
     * = 1 / (1 + exp(-2u)), so gelu(x) = x / (1 + exp(-2u)): one exp, and no cancellation in
     * 1 + tanh u for negative x (the tanh form loses digits there).
     */

    static void geluForward(Parallel par, MemorySegment out, MemorySegment inp, long n) {
        GeluForward g = GELU_FORWARD.get();
        g.out = out;
        g.inp = inp;
        try {
            forElements(par, n, g);
        } finally {
            g.out = g.inp = null;
        }
    }

    private static void geluForwardRange(MemorySegment out, MemorySegment inp, long i, long end) {
        long vend = i + Vec.bound(end - i);
        for (; i < vend; i += L) {
            FloatVector x = Vec.load(inp, i);
            FloatVector minus2u = x.mul(x).mul(-2 * GELU_B).sub(2 * GELU_A).mul(x);
            FloatVector e = Exp.of(minus2u.min(EXP_CLAMP));
            Vec.store(x.div(e.add(1f)), out, i);
        }
        for (; i < end; i++) {
            float x = inp.getAtIndex(F, i);
            float e = Exp.of(Math.min(EXP_CLAMP, (x * x * (-2 * GELU_B) - 2 * GELU_A) * x));
            out.setAtIndex(F, i, x / (e + 1f));
        }
    }

    /*
     * gelu'(x) = s + x * 2 s (1 - s) * u'(x) with s = sigmoid(2u), 1 - s = e s, e = exp(-2u),
     * u'(x) = sqrt(2/pi) (1 + 3 * 0.044715 x^2).
     */

    static void geluBackward(Parallel par, MemorySegment dinp, MemorySegment inp, MemorySegment dout, long n) {
        GeluBackward g = GELU_BACKWARD.get();
        g.dinp = dinp;
        g.inp = inp;
        g.dout = dout;
        try {
            forElements(par, n, g);
        } finally {
            g.dinp = g.inp = g.dout = null;
        }
    }

    private static void geluBackwardRange(MemorySegment dinp, MemorySegment inp, MemorySegment dout, long i, long end) {
        long vend = i + Vec.bound(end - i);
        for (; i < vend; i += L) {
            FloatVector x = Vec.load(inp, i);
            FloatVector x2 = x.mul(x);
            FloatVector e = Exp.of(x2.mul(-2 * GELU_B).sub(2 * GELU_A).mul(x).min(EXP_CLAMP));
            FloatVector s = ONE.div(e.add(1f));
            FloatVector du = x2.mul(3 * GELU_B).add(GELU_A);
            FloatVector grad = s.add(x.mul(2f).mul(s).mul(e.mul(s)).mul(du));
            Vec.store(Vec.load(dout, i).fma(grad, Vec.load(dinp, i)), dinp, i);
        }
        for (; i < end; i++) {   // the vector loop's operations, one element at a time
            float x = inp.getAtIndex(F, i);
            float x2 = x * x;
            float e = Exp.of(Math.min(EXP_CLAMP, (x2 * (-2 * GELU_B) - 2 * GELU_A) * x));
            float s = 1f / (e + 1f);
            float grad = s + x * 2f * s * (e * s) * (x2 * (3 * GELU_B) + GELU_A);
            dinp.setAtIndex(F, i, Math.fma(dout.getAtIndex(F, i), grad, dinp.getAtIndex(F, i)));
        }
    }
}
