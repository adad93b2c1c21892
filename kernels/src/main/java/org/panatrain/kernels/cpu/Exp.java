// e^x for the CPU kernels with the same bits at every JIT tier. The Vector API's lanewise(EXP) is
// one library interpreted and another (SVML) once C2 compiles the loop, so a softmax gave other
// last bits before and after warm-up, and two runs of one seed drifted apart. This is Cephes'
// expf, built from IEEE float mul/add/sub and bit operations only, lane by lane and scalar alike
// (so where a vector ends and the scalar tail starts changes no bit). Leaves out inputs above 88
// (saturated) and below -88 (0): the kernels take exp of values <= 0 (softmax, cross-entropy) or
// clamped to 80 (GELU).
package org.panatrain.kernels.cpu;

import static org.panatrain.kernels.cpu.Vec.L;
import static org.panatrain.kernels.cpu.Vec.S;

import java.lang.foreign.MemorySegment;
import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorOperators;

/**
 * e^x within 2 ulp, reproducible: {@code float sum = Exp.shiftedSum(row, 0, n, max)} replaces each
 * entry by e^(entry - max) and returns their sum.
 */
final class Exp {
    // x = n ln2 + r with |r| <= ln2/2 (ln2 in two parts, r by FMAs), e^r by a degree-7 polynomial
    // (about 1 ulp), 2^n built in the exponent bits. x is first clamped to [MIN, MAX]: at MIN, n is
    // -127, whose exponent field 0 makes 2^n and so the result exactly 0 (no compare, no blend).
    private static final float LOG2E = 1.44269504088896341f;
    private static final float LN2_HI = 0.693359375f;
    private static final float LN2_LO = -2.12194440e-4f;
    private static final float ROUND = 12582912f;        // 1.5 * 2^23: v + ROUND - ROUND rounds v to an integer
    private static final float MIN = -88f;               // n = -127: the result is 0
    private static final float MAX = 88f;                // n <= 127: 2^n is finite (e^88 = 1.65e38)
    // 127 - bits(ROUND): added to t's bits (bits(ROUND) + n) it gives the exponent field of 2^n
    private static final int POW2_BIAS = 127 - Float.floatToRawIntBits(ROUND);
    private static final float P0 = 1.9875691500e-4f, P1 = 1.3981999507e-3f, P2 = 8.3334519073e-3f,
            P3 = 4.1665795894e-2f, P4 = 1.6666665459e-1f, P5 = 5.0000001201e-1f;
    // the constants as vectors: a vector operand costs C2 fewer nodes than a scalar one (broadcast)
    private static final FloatVector MIN_V = FloatVector.broadcast(S, MIN), MAX_V = FloatVector.broadcast(S, MAX),
            LOG2E_V = FloatVector.broadcast(S, LOG2E), ROUND_V = FloatVector.broadcast(S, ROUND),
            MINUS_LN2_HI_V = FloatVector.broadcast(S, -LN2_HI), MINUS_LN2_LO_V = FloatVector.broadcast(S, -LN2_LO),
            P0_V = FloatVector.broadcast(S, P0), P1_V = FloatVector.broadcast(S, P1), P2_V = FloatVector.broadcast(S, P2),
            P3_V = FloatVector.broadcast(S, P3), P4_V = FloatVector.broadcast(S, P4), P5_V = FloatVector.broadcast(S, P5),
            ONE_V = FloatVector.broadcast(S, 1f);

    private Exp() {
    }

    /** e^x for x in [-88, 88], 0 below, e^88 above; NaN stays NaN. */
    static float of(float x) {
        float c = Math.min(Math.max(x, MIN), MAX);
        float t = Math.fma(c, LOG2E, ROUND);
        float n = t - ROUND;
        float r = Math.fma(n, -LN2_LO, Math.fma(n, -LN2_HI, c));
        float p = Math.fma(Math.fma(Math.fma(Math.fma(Math.fma(r, P0, P1), r, P2), r, P3), r, P4), r, P5);
        float y = Math.fma(p, r * r, r) + 1f;
        return y * Float.intBitsToFloat((Float.floatToRawIntBits(t) + POW2_BIAS) << 23);
    }

    /**
     * {@link #of(float)} lane by lane, the same operations in the same order (FMAs are exact, so
     * every tier rounds them alike). For loops of a small method only: C2 must inline it (a vector
     * passed to a call it did not inline is boxed), and each vector op it inlines costs C2 nodes:
     * with scalar constants (a broadcast each), a mul and add for each FMA and a compare and blend
     * for the underflow, GELU's loop went over C2's NodeCountInliningCutoff (PrintInlining: its
     * Vec.store was then not inlined, and a vector was boxed every iteration).
     */
    static FloatVector of(FloatVector x) {
        FloatVector c = x.max(MIN_V).min(MAX_V);
        FloatVector t = c.fma(LOG2E_V, ROUND_V);
        FloatVector n = t.sub(ROUND_V);
        FloatVector r = n.fma(MINUS_LN2_LO_V, n.fma(MINUS_LN2_HI_V, c));
        FloatVector p = r.fma(P0_V, P1_V).fma(r, P2_V).fma(r, P3_V).fma(r, P4_V).fma(r, P5_V);
        FloatVector y = p.fma(r.mul(r), r).add(ONE_V);
        return y.mul(t.reinterpretAsInts().add(POW2_BIAS).lanewise(VectorOperators.LSHL, 23).reinterpretAsFloats());
    }

    /**
     * a[i] = e^(a[i] - shift) for i in [from, to); returns their sum, added in a fixed order (one
     * vector accumulator, its lanes in lane order, then the tail), the same at every tier.
     */
    static float shiftedSum(float[] a, int from, int to, float shift) {
        // zero(S) here, not a static final zero vector: a loop phi of a constant vector object and
        // the add's result made C2 box the sum every iteration (96 bytes a vector, in every warm step)
        FloatVector acc = FloatVector.zero(S);
        int i = from;
        for (; i <= to - L; i += L) {
            FloatVector e = of(FloatVector.fromArray(S, a, i).sub(shift));
            e.intoArray(a, i);
            acc = acc.add(e);
        }
        float sum = Vec.sumLanes(acc);
        for (; i < to; i++) {
            a[i] = of(a[i] - shift);
            sum += a[i];
        }
        return sum;
    }

    /** {@link #shiftedSum(float[], int, int, float)} over the n floats at element index {@code row} of {@code m}. */
    static float shiftedSum(MemorySegment m, long row, int n, float shift) {
        FloatVector acc = FloatVector.zero(S);   // not a constant (see above)
        int i = 0;
        for (; i <= n - L; i += L) {
            FloatVector e = of(Vec.load(m, row + i).sub(shift));
            Vec.store(e, m, row + i);
            acc = acc.add(e);
        }
        float sum = Vec.sumLanes(acc);
        for (; i < n; i++) {
            float e = of(m.getAtIndex(Vec.F, row + i) - shift);
            m.setAtIndex(Vec.F, row + i, e);
            sum += e;
        }
        return sum;
    }
}
