// What makes two cuBLASLt matmuls share a MatmulPlan, as a mutable key: CudaMatmul fills one
// reused probe per call and looks its plan up with it, and only a shape seen for the first time
// is copied into the map, so a warm matmul makes no key object. Sizes are in the row-major terms
// of the Kernels API: out (M,N) = op(a) (M,K) @ op(b) (K,N), batch times with contiguous strides;
// alignments are those of the pointers (a power of two up to 256), which rule algorithms out. An
// FP8 key also holds its operand types (CUDA_R_8F_*) and whether it uses Hopper's fast
// accumulation. Leaves out building the plan (MatmulPlan.create).
package org.panatrain.kernels.cuda;

/**
 * A matmul plan's key; equal keys have equal fields. A key stored in a map must never be set
 * again: store a {@link #copy()}.
 *
 * <pre>{@code
 * MatmulKey probe = new MatmulKey();
 * MatmulPlan plan = plans.get(probe.set(p, Epilogue.NONE, m, n, k, 1, false, false, -1, 256, 256, 256));
 * if (plan == null) { MatmulKey key = probe.copy(); plans.put(key, MatmulPlan.create(handle, key, ws)); }
 * }</pre>
 */
final class MatmulKey {
    /** fp8TypeA and fp8TypeB of a key without FP8 operands. */
    static final int NOT_FP8 = -1;

    private CudaMatmul.Precision precision;
    private CudaMatmul.Epilogue epilogue;
    private int m;
    private int n;
    private int k;
    private int batch;
    private boolean transA;
    private boolean transB;
    private int biasType;
    private int alignA;
    private int alignB;
    private int alignOut;
    private int fp8TypeA = NOT_FP8;
    private int fp8TypeB = NOT_FP8;
    private boolean fastAccum;

    /** Sets every field of a key without FP8 operands; returns this key. */
    MatmulKey set(CudaMatmul.Precision precision, CudaMatmul.Epilogue epilogue, int m, int n, int k, int batch,
                  boolean transA, boolean transB, int biasType, int alignA, int alignB, int alignOut) {
        this.precision = precision;
        this.epilogue = epilogue;
        this.m = m;
        this.n = n;
        this.k = k;
        this.batch = batch;
        this.transA = transA;
        this.transB = transB;
        this.biasType = biasType;
        this.alignA = alignA;
        this.alignB = alignB;
        this.alignOut = alignOut;
        this.fp8TypeA = NOT_FP8;
        this.fp8TypeB = NOT_FP8;
        this.fastAccum = false;
        return this;
    }

    /** Makes this key's operands FP8 (our a and b, CUDA_R_8F_*), with or without fast accumulation; returns this key. */
    MatmulKey fp8(int typeA, int typeB, boolean fastAccum) {
        this.fp8TypeA = typeA;
        this.fp8TypeB = typeB;
        this.fastAccum = fastAccum;
        return this;
    }

    /** A new key with this key's fields: the one to store. */
    MatmulKey copy() {
        return new MatmulKey().set(precision, epilogue, m, n, k, batch, transA, transB, biasType, alignA, alignB, alignOut)
                .fp8(fp8TypeA, fp8TypeB, fastAccum);
    }

    /** The output's precision (for FP8, BF16 or FP32); for other keys every operand's. */
    CudaMatmul.Precision precision() {
        return precision;
    }

    CudaMatmul.Epilogue epilogue() {
        return epilogue;
    }

    int m() {
        return m;
    }

    int n() {
        return n;
    }

    int k() {
        return k;
    }

    int batch() {
        return batch;
    }

    boolean transA() {
        return transA;
    }

    boolean transB() {
        return transB;
    }

    /** The bias's CUDA data type, -1 without a bias epilogue. */
    int biasType() {
        return biasType;
    }

    int alignA() {
        return alignA;
    }

    int alignB() {
        return alignB;
    }

    int alignOut() {
        return alignOut;
    }

    boolean isFp8() {
        return fp8TypeA != NOT_FP8;
    }

    int fp8TypeA() {
        return fp8TypeA;
    }

    int fp8TypeB() {
        return fp8TypeB;
    }

    boolean fastAccum() {
        return fastAccum;
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof MatmulKey x && x.precision == precision && x.epilogue == epilogue && x.m == m && x.n == n
                && x.k == k && x.batch == batch && x.transA == transA && x.transB == transB && x.biasType == biasType
                && x.alignA == alignA && x.alignB == alignB && x.alignOut == alignOut && x.fp8TypeA == fp8TypeA
                && x.fp8TypeB == fp8TypeB && x.fastAccum == fastAccum;
    }

    /** A hash of every field, computed without boxing or arrays (a lookup allocates nothing). */
    @Override
    public int hashCode() {
        int h = precision == null ? 0 : precision.ordinal();
        h = 31 * h + (epilogue == null ? 0 : epilogue.ordinal());
        h = 31 * h + m;
        h = 31 * h + n;
        h = 31 * h + k;
        h = 31 * h + batch;
        h = 31 * h + (transA ? 1 : 0) + (transB ? 2 : 0) + (fastAccum ? 4 : 0);
        h = 31 * h + biasType;
        h = 31 * h + alignA;
        h = 31 * h + alignB;
        h = 31 * h + alignOut;
        h = 31 * h + fp8TypeA;
        return 31 * h + fp8TypeB;
    }

    /** The fields by name, for error messages. */
    @Override
    public String toString() {
        return "MatmulKey[precision=" + precision + ", epilogue=" + epilogue + ", m=" + m + ", n=" + n + ", k=" + k
                + ", batch=" + batch + ", transA=" + transA + ", transB=" + transB + ", biasType=" + biasType
                + ", alignA=" + alignA + ", alignB=" + alignB + ", alignOut=" + alignOut
                + (isFp8() ? ", fp8TypeA=" + fp8TypeA + ", fp8TypeB=" + fp8TypeB + ", fastAccum=" + fastAccum : "") + "]";
    }
}
