// Vector API building blocks shared by the CPU kernels: the species, native-order segment access
// by element index, the elementwise loops (vector body + scalar tail) that several ops reuse, and a
// lane sum in a fixed order (reduceLanes(ADD) may add in another order once the JIT compiles it,
// so the same run gave other last bits before and after warm-up). Leaves out threading (see
// Parallel), anything op-specific, and exp (see Exp: lanewise(EXP) is not reproducible either).
package org.panatrain.kernels.cpu;

import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.ByteOrder;
import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorOperators;
import jdk.incubator.vector.VectorSpecies;

/** Float vectors over memory segments and arrays; indices are in elements, not bytes. */
final class Vec {
    static final VectorSpecies<Float> S = FloatVector.SPECIES_PREFERRED;
    /** Lanes per vector (16 with AVX-512); a power of two. */
    static final int L = S.length();
    static final ByteOrder NATIVE = ByteOrder.nativeOrder();
    static final ValueLayout.OfFloat F = ValueLayout.JAVA_FLOAT_UNALIGNED;
    static final ValueLayout.OfInt I = ValueLayout.JAVA_INT_UNALIGNED;

    private static final ThreadLocal<float[]> LANES = ThreadLocal.withInitial(() -> new float[L]);

    private Vec() {
    }

    /**
     * v's lanes added in lane order, the same bits at every JIT tier. Through a per-thread array:
     * lane(i) with a variable i is not intrinsified and would allocate.
     */
    static float sumLanes(FloatVector v) {
        float[] lanes = LANES.get();
        v.intoArray(lanes, 0);
        float s = 0f;
        for (float x : lanes) {
            s += x;
        }
        return s;
    }

    static FloatVector load(MemorySegment m, long i) {
        return FloatVector.fromMemorySegment(S, m, i * 4, NATIVE);
    }

    static void store(FloatVector v, MemorySegment m, long i) {
        v.intoMemorySegment(m, i * 4, NATIVE);
    }

    /** The largest multiple of L that is <= n. */
    static long bound(long n) {
        return n & -L;
    }

    static int bound(int n) {
        return n & -L;
    }

    /** n rounded up to a multiple of L. */
    static int roundUp(int n) {
        return (n + L - 1) & -L;
    }

    /** m[i, i+n) = value. */
    static void fill(MemorySegment m, long i, long n, float value) {
        FloatVector v = FloatVector.broadcast(S, value);
        long end = i + n, vend = i + bound(n);
        for (; i < vend; i += L) {
            store(v, m, i);
        }
        for (; i < end; i++) {
            m.setAtIndex(F, i, value);
        }
    }

    /** out[o, o+n) = a[ai, ai+n) + b[bi, bi+n). */
    static void add(MemorySegment out, long o, MemorySegment a, long ai, MemorySegment b, long bi, long n) {
        long k = 0, vn = bound(n);
        for (; k < vn; k += L) {
            store(load(a, ai + k).add(load(b, bi + k)), out, o + k);
        }
        for (; k < n; k++) {
            out.setAtIndex(F, o + k, a.getAtIndex(F, ai + k) + b.getAtIndex(F, bi + k));
        }
    }

    /** dst[d, d+n) += src[s, s+n). */
    static void accumulate(MemorySegment dst, long d, MemorySegment src, long s, long n) {
        add(dst, d, dst, d, src, s, n);
    }

    /** m[i, i+n) *= factor. */
    static void scale(MemorySegment m, long i, long n, float factor) {
        long k = 0, vn = bound(n);
        for (; k < vn; k += L) {
            store(load(m, i + k).mul(factor), m, i + k);
        }
        for (; k < n; k++) {
            m.setAtIndex(F, i + k, m.getAtIndex(F, i + k) * factor);
        }
    }

    /** dst[d, d+n) += src[s, s+n) (an array). */
    static void accumulate(MemorySegment dst, long d, float[] src, int s, int n) {
        int k = 0, vn = bound(n);
        for (; k < vn; k += L) {
            store(load(dst, d + k).add(FloatVector.fromArray(S, src, s + k)), dst, d + k);
        }
        for (; k < n; k++) {
            dst.setAtIndex(F, d + k, dst.getAtIndex(F, d + k) + src[s + k]);
        }
    }

    /** Sum of m[i, i+n). */
    static float sum(MemorySegment m, long i, long n) {
        FloatVector acc = FloatVector.zero(S);
        long k = 0, vn = bound(n);
        for (; k < vn; k += L) {
            acc = acc.add(load(m, i + k));
        }
        float s = sumLanes(acc);
        for (; k < n; k++) {
            s += m.getAtIndex(F, i + k);
        }
        return s;
    }

    /** Copies n floats from a segment into an array. */
    static void copy(MemorySegment src, long s, float[] dst, int d, int n) {
        MemorySegment.copy(src, F, s * 4, dst, d, n);
    }

    /** Copies n floats from an array into a segment. */
    static void copy(float[] src, int s, MemorySegment dst, long d, int n) {
        MemorySegment.copy(src, s, dst, F, d * 4, n);
    }
}
