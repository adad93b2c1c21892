// One cuBLASLt matmul shape, prepared once: the descriptor, the four matrix layouts and the
// algorithm the heuristic picked, kept for every later call of the same shape. Here the
// row-major tensors of the Kernels API become cuBLASLt's column-major operands: a row-major
// (M,N) matrix is a column-major (N,M) one, so out = op(a) op(b) is computed as
// out^T = op(b)^T op(a)^T, i.e. cuBLASLt's A is our b and its B is our a. An FP8 plan reads FP8
// operands (their types in the key), optionally with fast accumulation; its per-tensor scale and
// amax pointers are set per call. It leaves out FP8 outputs (D scale) and FP8 epilogues.
package org.panatrain.kernels.cuda;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import org.panatrain.bindings.CublasLt;
import org.panatrain.bindings.CudaException;

/** A prepared matmul; package-private, owned and closed by {@link CudaMatmul}. */
final class MatmulPlan implements AutoCloseable {
    /** What the plan was made for (a stored key: never set again). */
    final MatmulKey key;
    private final Arena arena = Arena.ofShared();
    final MemorySegment desc;     // cublasLtMatmulDesc_t
    final MemorySegment layoutA;  // cuBLASLt's A = our b
    final MemorySegment layoutB;  // cuBLASLt's B = our a
    final MemorySegment layoutD;  // C and D: out
    final MemorySegment algo;     // cublasLtMatmulAlgo_t, 64 bytes
    final long workspaceBytes;

    private MatmulPlan(MatmulKey key, MemorySegment desc, MemorySegment la, MemorySegment lb, MemorySegment ld,
                       MemorySegment algo, long workspaceBytes) {
        this.key = key;
        this.desc = desc;
        this.layoutA = la;
        this.layoutB = lb;
        this.layoutD = ld;
        this.algo = arena.allocate(CublasLt.ALGO_BYTES, 8).copyFrom(algo);
        this.workspaceBytes = workspaceBytes;
    }

    /** Builds the descriptors and asks the heuristic for the best algorithm within {@code maxWorkspace}. */
    static MatmulPlan create(MemorySegment handle, MatmulKey key, long maxWorkspace) {
        CudaMatmul.Precision p = key.precision();
        MemorySegment desc = MemorySegment.NULL, la = MemorySegment.NULL, lb = MemorySegment.NULL, ld = MemorySegment.NULL;
        try (Arena a = Arena.ofConfined()) {
            MemorySegment out = a.allocate(ValueLayout.ADDRESS);
            CublasLt.check(CublasLt.cublasLtMatmulDescCreate(out, p.computeType(), CublasLt.CUDA_R_32F), "cublasLtMatmulDescCreate");
            desc = out.get(ValueLayout.ADDRESS, 0);
            setInt(a, desc, CublasLt.CUBLASLT_MATMUL_DESC_TRANSA, key.transB() ? CublasLt.CUBLAS_OP_T : CublasLt.CUBLAS_OP_N);
            setInt(a, desc, CublasLt.CUBLASLT_MATMUL_DESC_TRANSB, key.transA() ? CublasLt.CUBLAS_OP_T : CublasLt.CUBLAS_OP_N);
            if (key.isFp8() && key.fastAccum()) {
                CublasLt.check(CublasLt.cublasLtMatmulDescSetAttribute(desc, CublasLt.CUBLASLT_MATMUL_DESC_FAST_ACCUM,
                        a.allocateFrom(ValueLayout.JAVA_BYTE, (byte) 1), 1), "cublasLtMatmulDescSetAttribute(FAST_ACCUM)");
            }
            if (key.epilogue() != CudaMatmul.Epilogue.NONE) {
                setInt(a, desc, CublasLt.CUBLASLT_MATMUL_DESC_EPILOGUE, key.epilogue().cublasLtEpilogue());
                setInt(a, desc, CublasLt.CUBLASLT_MATMUL_DESC_BIAS_DATA_TYPE, key.biasType());
            }
            // Stored shapes, column-major: our b (K,N) row-major is (N,K) column-major, (N,K) when transposed is (K,N).
            int typeOfB = key.isFp8() ? key.fp8TypeB() : p.cudaType();
            int typeOfA = key.isFp8() ? key.fp8TypeA() : p.cudaType();
            la = layout(a, typeOfB, key.transB() ? key.k() : key.n(), key.transB() ? key.n() : key.k(), key.batch());
            lb = layout(a, typeOfA, key.transA() ? key.m() : key.k(), key.transA() ? key.k() : key.m(), key.batch());
            ld = layout(a, p.cudaType(), key.n(), key.m(), key.batch());

            CublasLt.check(CublasLt.cublasLtMatmulPreferenceCreate(out), "cublasLtMatmulPreferenceCreate");
            MemorySegment pref = out.get(ValueLayout.ADDRESS, 0);
            try {
                MemorySegment ws = a.allocateFrom(ValueLayout.JAVA_LONG, maxWorkspace);
                CublasLt.check(CublasLt.cublasLtMatmulPreferenceSetAttribute(pref, CublasLt.CUBLASLT_MATMUL_PREF_MAX_WORKSPACE_BYTES, ws, 8),
                        "cublasLtMatmulPreferenceSetAttribute(MAX_WORKSPACE_BYTES)");
                setPreference(a, pref, CublasLt.CUBLASLT_MATMUL_PREF_MIN_ALIGNMENT_A_BYTES, key.alignB());
                setPreference(a, pref, CublasLt.CUBLASLT_MATMUL_PREF_MIN_ALIGNMENT_B_BYTES, key.alignA());
                setPreference(a, pref, CublasLt.CUBLASLT_MATMUL_PREF_MIN_ALIGNMENT_C_BYTES, key.alignOut());
                setPreference(a, pref, CublasLt.CUBLASLT_MATMUL_PREF_MIN_ALIGNMENT_D_BYTES, key.alignOut());
                MemorySegment result = a.allocate(CublasLt.HEURISTIC_RESULT_BYTES, 8);
                MemorySegment count = a.allocate(ValueLayout.JAVA_INT);
                String call = "cublasLtMatmulAlgoGetHeuristic(" + key + ")";
                CublasLt.check(CublasLt.cublasLtMatmulAlgoGetHeuristic(handle, desc, la, lb, ld, ld, pref, 1, result, count), call);
                if (count.get(ValueLayout.JAVA_INT, 0) == 0
                        || result.get(ValueLayout.JAVA_INT, CublasLt.HEURISTIC_STATE_OFFSET) != CublasLt.CUBLAS_STATUS_SUCCESS) {
                    throw new CudaException(call, CublasLt.CUBLAS_STATUS_NOT_SUPPORTED, "CUBLAS_STATUS_NOT_SUPPORTED",
                            "cuBLASLt has no algorithm for this shape, precision, epilogue and alignment");
                }
                long workspace = result.get(ValueLayout.JAVA_LONG, CublasLt.HEURISTIC_WORKSPACE_OFFSET);
                return new MatmulPlan(key, desc, la, lb, ld, result.asSlice(0, CublasLt.ALGO_BYTES), workspace);
            } finally {
                CublasLt.check(CublasLt.cublasLtMatmulPreferenceDestroy(pref), "cublasLtMatmulPreferenceDestroy");
            }
        } catch (RuntimeException e) {
            destroy(desc, la, lb, ld);
            throw e;
        }
    }

    /** Sets the bias (or bias-gradient) pointer for the next call; {@code slot} is an 8-byte scratch segment. */
    void setBias(MemorySegment slot, MemorySegment bias) {
        slot.set(ValueLayout.ADDRESS, 0, bias);
        CublasLt.check(CublasLt.cublasLtMatmulDescSetAttribute(desc, CublasLt.CUBLASLT_MATMUL_DESC_BIAS_POINTER, slot, 8),
                "cublasLtMatmulDescSetAttribute(BIAS_POINTER)");
    }

    /**
     * Sets the FP8 pointers for the next call: the dequantization scales (1) FP32 of our a and b
     * (cuBLASLt's B and A) and the amax (1) FP32 of the output, or NULL for none; {@code slot} is
     * an 8-byte scratch segment.
     */
    void setFp8Pointers(MemorySegment slot, MemorySegment aScaleInverse, MemorySegment bScaleInverse, MemorySegment amax) {
        setPointer(slot, CublasLt.CUBLASLT_MATMUL_DESC_A_SCALE_POINTER, bScaleInverse, "A_SCALE_POINTER");
        setPointer(slot, CublasLt.CUBLASLT_MATMUL_DESC_B_SCALE_POINTER, aScaleInverse, "B_SCALE_POINTER");
        setPointer(slot, CublasLt.CUBLASLT_MATMUL_DESC_AMAX_D_POINTER, amax, "AMAX_D_POINTER");
    }

    private void setPointer(MemorySegment slot, int attribute, MemorySegment pointer, String name) {
        slot.set(ValueLayout.ADDRESS, 0, pointer);
        CublasLt.check(CublasLt.cublasLtMatmulDescSetAttribute(desc, attribute, slot, 8),
                "cublasLtMatmulDescSetAttribute(" + name + ")");
    }

    private static MemorySegment layout(Arena a, int type, long rows, long cols, int batch) {
        MemorySegment out = a.allocate(ValueLayout.ADDRESS);
        CublasLt.check(CublasLt.cublasLtMatrixLayoutCreate(out, type, rows, cols, rows), "cublasLtMatrixLayoutCreate");
        MemorySegment l = out.get(ValueLayout.ADDRESS, 0);
        if (batch > 1) {
            MemorySegment count = a.allocateFrom(ValueLayout.JAVA_INT, batch);
            CublasLt.check(CublasLt.cublasLtMatrixLayoutSetAttribute(l, CublasLt.CUBLASLT_MATRIX_LAYOUT_BATCH_COUNT, count, 4),
                    "cublasLtMatrixLayoutSetAttribute(BATCH_COUNT)");
            MemorySegment stride = a.allocateFrom(ValueLayout.JAVA_LONG, rows * cols);
            CublasLt.check(CublasLt.cublasLtMatrixLayoutSetAttribute(l, CublasLt.CUBLASLT_MATRIX_LAYOUT_STRIDED_BATCH_OFFSET, stride, 8),
                    "cublasLtMatrixLayoutSetAttribute(STRIDED_BATCH_OFFSET)");
        }
        return l;
    }

    private static void setInt(Arena a, MemorySegment desc, int attribute, int value) {
        CublasLt.check(CublasLt.cublasLtMatmulDescSetAttribute(desc, attribute, a.allocateFrom(ValueLayout.JAVA_INT, value), 4),
                "cublasLtMatmulDescSetAttribute(" + attribute + ", " + value + ")");
    }

    private static void setPreference(Arena a, MemorySegment pref, int attribute, int value) {
        CublasLt.check(CublasLt.cublasLtMatmulPreferenceSetAttribute(pref, attribute, a.allocateFrom(ValueLayout.JAVA_INT, value), 4),
                "cublasLtMatmulPreferenceSetAttribute(" + attribute + ", " + value + ")");
    }

    private static void destroy(MemorySegment desc, MemorySegment la, MemorySegment lb, MemorySegment ld) {
        for (MemorySegment l : new MemorySegment[] {la, lb, ld}) {
            if (!l.equals(MemorySegment.NULL)) {
                CublasLt.check(CublasLt.cublasLtMatrixLayoutDestroy(l), "cublasLtMatrixLayoutDestroy");
            }
        }
        if (!desc.equals(MemorySegment.NULL)) {
            CublasLt.check(CublasLt.cublasLtMatmulDescDestroy(desc), "cublasLtMatmulDescDestroy");
        }
    }

    @Override
    public void close() {
        destroy(desc, layoutA, layoutB, layoutD);
        arena.close();
    }
}
