// FFM downcalls for cuBLASLt, one MethodHandle per C function, linked once in a lazy holder from
// the library NativeLibraries finds. Checked against cublasLt.h of CUDA 11.8 (Debian's
// nvidia-cuda-dev); the functions and enum values used are the same in CUDA 12 and 13.
// Also: the status check. It leaves out matrix transforms, algorithm enumeration and the logger.
package org.panatrain.bindings;

import static org.panatrain.bindings.Downcall.INT;
import static org.panatrain.bindings.Downcall.LONG;
import static org.panatrain.bindings.Downcall.PTR;

import java.lang.foreign.MemorySegment;
import java.lang.foreign.SymbolLookup;
import java.lang.invoke.MethodHandle;
import java.util.List;

/**
 * cuBLASLt. Methods return the raw cublasStatus_t; {@link #check} turns a failure into a
 * {@link CudaException}. Handles and descriptors are {@link MemorySegment} addresses; matrices are
 * column-major device pointers (wrap a device address with {@link MemorySegment#ofAddress}).
 *
 * <pre>{@code
 * try (Arena a = Arena.ofConfined()) {
 *     MemorySegment h = a.allocate(ValueLayout.ADDRESS);
 *     CublasLt.check(CublasLt.cublasLtCreate(h), "cublasLtCreate");
 *     MemorySegment handle = h.get(ValueLayout.ADDRESS, 0);
 * }
 * }</pre>
 */
public final class CublasLt {
    public static final int CUBLAS_STATUS_SUCCESS = 0;
    public static final int CUBLAS_STATUS_NOT_SUPPORTED = 15;

    // cublasOperation_t
    public static final int CUBLAS_OP_N = 0;
    public static final int CUBLAS_OP_T = 1;

    // cublasComputeType_t
    public static final int CUBLAS_COMPUTE_32F = 68;
    public static final int CUBLAS_COMPUTE_32F_PEDANTIC = 69;
    public static final int CUBLAS_COMPUTE_32F_FAST_TF32 = 77;

    // cudaDataType_t
    public static final int CUDA_R_32F = 0;
    public static final int CUDA_R_16F = 2;
    public static final int CUDA_R_16BF = 14;
    public static final int CUDA_R_8F_E4M3 = 28;
    public static final int CUDA_R_8F_E5M2 = 29;

    // cublasLtMatmulDescAttributes_t
    public static final int CUBLASLT_MATMUL_DESC_TRANSA = 3;
    public static final int CUBLASLT_MATMUL_DESC_TRANSB = 4;
    public static final int CUBLASLT_MATMUL_DESC_EPILOGUE = 7;
    public static final int CUBLASLT_MATMUL_DESC_BIAS_POINTER = 8;
    public static final int CUBLASLT_MATMUL_DESC_BIAS_BATCH_STRIDE = 10;
    public static final int CUBLASLT_MATMUL_DESC_A_SCALE_POINTER = 17;
    public static final int CUBLASLT_MATMUL_DESC_B_SCALE_POINTER = 18;
    public static final int CUBLASLT_MATMUL_DESC_D_SCALE_POINTER = 20;
    public static final int CUBLASLT_MATMUL_DESC_AMAX_D_POINTER = 21;
    public static final int CUBLASLT_MATMUL_DESC_FAST_ACCUM = 25;
    public static final int CUBLASLT_MATMUL_DESC_BIAS_DATA_TYPE = 26;

    // cublasLtEpilogue_t
    public static final int CUBLASLT_EPILOGUE_DEFAULT = 1;
    public static final int CUBLASLT_EPILOGUE_BIAS = 4;
    public static final int CUBLASLT_EPILOGUE_GELU = 32;
    public static final int CUBLASLT_EPILOGUE_GELU_BIAS = 36;
    public static final int CUBLASLT_EPILOGUE_BGRADA = 256;
    public static final int CUBLASLT_EPILOGUE_BGRADB = 512;

    // cublasLtMatrixLayoutAttribute_t
    public static final int CUBLASLT_MATRIX_LAYOUT_BATCH_COUNT = 5;
    public static final int CUBLASLT_MATRIX_LAYOUT_STRIDED_BATCH_OFFSET = 6;

    // cublasLtMatmulPreferenceAttributes_t
    public static final int CUBLASLT_MATMUL_PREF_MAX_WORKSPACE_BYTES = 1;
    public static final int CUBLASLT_MATMUL_PREF_MIN_ALIGNMENT_A_BYTES = 5;
    public static final int CUBLASLT_MATMUL_PREF_MIN_ALIGNMENT_B_BYTES = 6;
    public static final int CUBLASLT_MATMUL_PREF_MIN_ALIGNMENT_C_BYTES = 7;
    public static final int CUBLASLT_MATMUL_PREF_MIN_ALIGNMENT_D_BYTES = 8;

    /** sizeof(cublasLtMatmulAlgo_t): uint64_t data[8]. */
    public static final long ALGO_BYTES = 64;
    /** sizeof(cublasLtMatmulHeuristicResult_t): algo, size_t workspaceSize, status, float wavesCount, int reserved[4]. */
    public static final long HEURISTIC_RESULT_BYTES = 96;
    /** Offset of workspaceSize in cublasLtMatmulHeuristicResult_t. */
    public static final long HEURISTIC_WORKSPACE_OFFSET = 64;
    /** Offset of state (a cublasStatus_t) in cublasLtMatmulHeuristicResult_t. */
    public static final long HEURISTIC_STATE_OFFSET = 72;

    private CublasLt() {
    }

    // ---- signatures -------------------------------------------------------------------------------
    static final Downcall cublasLtCreate = Downcall.of("cublasLtCreate", INT, PTR);
    static final Downcall cublasLtDestroy = Downcall.of("cublasLtDestroy", INT, PTR);
    static final Downcall cublasLtGetVersion = Downcall.of("cublasLtGetVersion", LONG);
    static final Downcall cublasLtGetStatusName = Downcall.of("cublasLtGetStatusName", PTR, INT);
    static final Downcall cublasLtGetStatusString = Downcall.of("cublasLtGetStatusString", PTR, INT);
    static final Downcall cublasLtMatmulDescCreate = Downcall.of("cublasLtMatmulDescCreate", INT, PTR, INT, INT);
    static final Downcall cublasLtMatmulDescDestroy = Downcall.of("cublasLtMatmulDescDestroy", INT, PTR);
    static final Downcall cublasLtMatmulDescSetAttribute = Downcall.of("cublasLtMatmulDescSetAttribute", INT, PTR, INT, PTR, LONG);
    static final Downcall cublasLtMatrixLayoutCreate = Downcall.of("cublasLtMatrixLayoutCreate", INT, PTR, INT, LONG, LONG, LONG);
    static final Downcall cublasLtMatrixLayoutDestroy = Downcall.of("cublasLtMatrixLayoutDestroy", INT, PTR);
    static final Downcall cublasLtMatrixLayoutSetAttribute = Downcall.of("cublasLtMatrixLayoutSetAttribute", INT, PTR, INT, PTR, LONG);
    static final Downcall cublasLtMatmulPreferenceCreate = Downcall.of("cublasLtMatmulPreferenceCreate", INT, PTR);
    static final Downcall cublasLtMatmulPreferenceDestroy = Downcall.of("cublasLtMatmulPreferenceDestroy", INT, PTR);
    static final Downcall cublasLtMatmulPreferenceSetAttribute = Downcall.of("cublasLtMatmulPreferenceSetAttribute", INT, PTR, INT, PTR, LONG);
    static final Downcall cublasLtMatmulAlgoGetHeuristic = Downcall.of("cublasLtMatmulAlgoGetHeuristic", INT, PTR, PTR, PTR, PTR, PTR, PTR, PTR, INT, PTR, PTR);
    static final Downcall cublasLtMatmul = Downcall.of("cublasLtMatmul", INT, PTR, PTR, PTR, PTR, PTR, PTR, PTR, PTR, PTR, PTR, PTR, PTR, PTR, PTR, LONG, PTR);
    /** Every function these bindings call, for the header-conformance test and diagnostics. */
    public static List<Downcall> downcalls() {
        return Downcall.declaredIn(CublasLt.class);
    }

    /** The linked handles, created on first use of any wrapper. */
    private static final class H {
        private static final SymbolLookup LIBRARY = library();

        private static SymbolLookup library() {
            NativeLibraries.Found found = NativeLibraries.cublasLt();
            if (found.lookup() == null) {
                throw new IllegalStateException(found.reason());
            }
            return found.lookup();
        }

        static final MethodHandle cublasLtCreate = CublasLt.cublasLtCreate.link(LIBRARY);
        static final MethodHandle cublasLtDestroy = CublasLt.cublasLtDestroy.link(LIBRARY);
        static final MethodHandle cublasLtGetVersion = CublasLt.cublasLtGetVersion.link(LIBRARY);
        static final MethodHandle cublasLtGetStatusName = CublasLt.cublasLtGetStatusName.link(LIBRARY);
        static final MethodHandle cublasLtGetStatusString = CublasLt.cublasLtGetStatusString.link(LIBRARY);
        static final MethodHandle cublasLtMatmulDescCreate = CublasLt.cublasLtMatmulDescCreate.link(LIBRARY);
        static final MethodHandle cublasLtMatmulDescDestroy = CublasLt.cublasLtMatmulDescDestroy.link(LIBRARY);
        static final MethodHandle cublasLtMatmulDescSetAttribute = CublasLt.cublasLtMatmulDescSetAttribute.link(LIBRARY);
        static final MethodHandle cublasLtMatrixLayoutCreate = CublasLt.cublasLtMatrixLayoutCreate.link(LIBRARY);
        static final MethodHandle cublasLtMatrixLayoutDestroy = CublasLt.cublasLtMatrixLayoutDestroy.link(LIBRARY);
        static final MethodHandle cublasLtMatrixLayoutSetAttribute = CublasLt.cublasLtMatrixLayoutSetAttribute.link(LIBRARY);
        static final MethodHandle cublasLtMatmulPreferenceCreate = CublasLt.cublasLtMatmulPreferenceCreate.link(LIBRARY);
        static final MethodHandle cublasLtMatmulPreferenceDestroy = CublasLt.cublasLtMatmulPreferenceDestroy.link(LIBRARY);
        static final MethodHandle cublasLtMatmulPreferenceSetAttribute = CublasLt.cublasLtMatmulPreferenceSetAttribute.link(LIBRARY);
        static final MethodHandle cublasLtMatmulAlgoGetHeuristic = CublasLt.cublasLtMatmulAlgoGetHeuristic.link(LIBRARY);
        static final MethodHandle cublasLtMatmul = CublasLt.cublasLtMatmul.link(LIBRARY);    }

    // ---- wrappers ---------------------------------------------------------------------------------

    /** A new cuBLASLt handle, written to lightHandle. */
    public static int cublasLtCreate(MemorySegment lightHandle) {
        try {
            return (int) H.cublasLtCreate.invokeExact(lightHandle);
        } catch (Throwable t) {
            throw Downcall.rethrow(t);
        }
    }

    /** Destroys a handle. */
    public static int cublasLtDestroy(MemorySegment lightHandle) {
        try {
            return (int) H.cublasLtDestroy.invokeExact(lightHandle);
        } catch (Throwable t) {
            throw Downcall.rethrow(t);
        }
    }

    /** The library version, e.g. 120304 for 12.3.4 (size_t). */
    public static long cublasLtGetVersion() {
        try {
            return (long) H.cublasLtGetVersion.invokeExact();
        } catch (Throwable t) {
            throw Downcall.rethrow(t);
        }
    }

    /** The status's enum name (const char*). */
    public static MemorySegment cublasLtGetStatusName(int status) {
        try {
            return (MemorySegment) H.cublasLtGetStatusName.invokeExact(status);
        } catch (Throwable t) {
            throw Downcall.rethrow(t);
        }
    }

    /** The status's description (const char*). */
    public static MemorySegment cublasLtGetStatusString(int status) {
        try {
            return (MemorySegment) H.cublasLtGetStatusString.invokeExact(status);
        } catch (Throwable t) {
            throw Downcall.rethrow(t);
        }
    }

    /** A matmul descriptor: compute type (CUBLAS_COMPUTE_*) and scale type (CUDA_R_*). */
    public static int cublasLtMatmulDescCreate(MemorySegment matmulDesc, int computeType, int scaleType) {
        try {
            return (int) H.cublasLtMatmulDescCreate.invokeExact(matmulDesc, computeType, scaleType);
        } catch (Throwable t) {
            throw Downcall.rethrow(t);
        }
    }

    /** Destroys a matmul descriptor. */
    public static int cublasLtMatmulDescDestroy(MemorySegment matmulDesc) {
        try {
            return (int) H.cublasLtMatmulDescDestroy.invokeExact(matmulDesc);
        } catch (Throwable t) {
            throw Downcall.rethrow(t);
        }
    }

    /** Sets a CUBLASLT_MATMUL_DESC_* attribute from buf. */
    public static int cublasLtMatmulDescSetAttribute(MemorySegment matmulDesc, int attr, MemorySegment buf, long sizeInBytes) {
        try {
            return (int) H.cublasLtMatmulDescSetAttribute.invokeExact(matmulDesc, attr, buf, sizeInBytes);
        } catch (Throwable t) {
            throw Downcall.rethrow(t);
        }
    }

    /** A column-major matrix layout of rows x cols with leading dimension ld. */
    public static int cublasLtMatrixLayoutCreate(MemorySegment matLayout, int type, long rows, long cols, long ld) {
        try {
            return (int) H.cublasLtMatrixLayoutCreate.invokeExact(matLayout, type, rows, cols, ld);
        } catch (Throwable t) {
            throw Downcall.rethrow(t);
        }
    }

    /** Destroys a layout. */
    public static int cublasLtMatrixLayoutDestroy(MemorySegment matLayout) {
        try {
            return (int) H.cublasLtMatrixLayoutDestroy.invokeExact(matLayout);
        } catch (Throwable t) {
            throw Downcall.rethrow(t);
        }
    }

    /** Sets a CUBLASLT_MATRIX_LAYOUT_* attribute (batch count, strided batch offset, ...). */
    public static int cublasLtMatrixLayoutSetAttribute(MemorySegment matLayout, int attr, MemorySegment buf, long sizeInBytes) {
        try {
            return (int) H.cublasLtMatrixLayoutSetAttribute.invokeExact(matLayout, attr, buf, sizeInBytes);
        } catch (Throwable t) {
            throw Downcall.rethrow(t);
        }
    }

    /** A heuristic preference object. */
    public static int cublasLtMatmulPreferenceCreate(MemorySegment pref) {
        try {
            return (int) H.cublasLtMatmulPreferenceCreate.invokeExact(pref);
        } catch (Throwable t) {
            throw Downcall.rethrow(t);
        }
    }

    /** Destroys a preference. */
    public static int cublasLtMatmulPreferenceDestroy(MemorySegment pref) {
        try {
            return (int) H.cublasLtMatmulPreferenceDestroy.invokeExact(pref);
        } catch (Throwable t) {
            throw Downcall.rethrow(t);
        }
    }

    /** Sets a CUBLASLT_MATMUL_PREF_* attribute (workspace limit, ...). */
    public static int cublasLtMatmulPreferenceSetAttribute(MemorySegment pref, int attr, MemorySegment buf, long sizeInBytes) {
        try {
            return (int) H.cublasLtMatmulPreferenceSetAttribute.invokeExact(pref, attr, buf, sizeInBytes);
        } catch (Throwable t) {
            throw Downcall.rethrow(t);
        }
    }

    /** Up to requestedAlgoCount algorithms, best first, as cublasLtMatmulHeuristicResult_t (HEURISTIC_RESULT_BYTES each). */
    public static int cublasLtMatmulAlgoGetHeuristic(MemorySegment lightHandle, MemorySegment operationDesc, MemorySegment Adesc, MemorySegment Bdesc, MemorySegment Cdesc, MemorySegment Ddesc, MemorySegment preference, int requestedAlgoCount, MemorySegment heuristicResultsArray, MemorySegment returnAlgoCount) {
        try {
            return (int) H.cublasLtMatmulAlgoGetHeuristic.invokeExact(lightHandle, operationDesc, Adesc, Bdesc, Cdesc, Ddesc, preference, requestedAlgoCount, heuristicResultsArray, returnAlgoCount);
        } catch (Throwable t) {
            throw Downcall.rethrow(t);
        }
    }

    /** D = alpha op(A) op(B) + beta C, with the descriptor's epilogue; all matrices column-major. */
    public static int cublasLtMatmul(MemorySegment lightHandle, MemorySegment computeDesc, MemorySegment alpha, MemorySegment A, MemorySegment Adesc, MemorySegment B, MemorySegment Bdesc, MemorySegment beta, MemorySegment C, MemorySegment Cdesc, MemorySegment D, MemorySegment Ddesc, MemorySegment algo, MemorySegment workspace, long workspaceSizeInBytes, MemorySegment stream) {
        try {
            return (int) H.cublasLtMatmul.invokeExact(lightHandle, computeDesc, alpha, A, Adesc, B, Bdesc, beta, C, Cdesc, D, Ddesc, algo, workspace, workspaceSizeInBytes, stream);
        } catch (Throwable t) {
            throw Downcall.rethrow(t);
        }
    }

    // ---- status checking --------------------------------------------------------------------------

    /** Throws a {@link CudaException} naming {@code call} for a status other than CUBLAS_STATUS_SUCCESS. */
    public static void check(int status, String call) {
        if (status != CUBLAS_STATUS_SUCCESS) {
            throw new CudaException(call, status, text(cublasLtGetStatusName(status), status),
                    text(cublasLtGetStatusString(status), status));
        }
    }

    private static String text(MemorySegment cString, int status) {
        return cString.equals(MemorySegment.NULL) ? "cublasStatus " + status : cString.reinterpret(4096).getString(0);
    }
}
