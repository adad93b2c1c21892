// cuBLASLt matmuls on row-major tensors, in FP32, TF32, BF16 and FP16 (always FP32 accumulate),
// for every transpose layout of Kernels.matmul, batched with contiguous strides for attention,
// with the bias, GELU+bias and bias-gradient epilogues; and FP8 (E4M3/E5M2 operands with
// per-tensor dequantization scales, BF16 or FP32 output with its amax, optional fast
// accumulation) in the one layout Hopper's FP8 Tensor Cores take. The algorithm is picked by
// heuristic once per shape (MatmulPlan) and cached, looked up with a reused MatmulKey, so that a
// warm matmul allocates nothing on the Java heap. It leaves out FP8 outputs, epilogues with
// FP8 operands, and batched FP8.
package org.panatrain.kernels.cuda;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.util.HashMap;
import java.util.Map;
import org.panatrain.bindings.CublasLt;
import org.panatrain.memory.DType;
import org.panatrain.memory.DeviceMemory;
import org.panatrain.memory.Tensor;

/**
 * Matrix products on the device. Tensors are row-major device tensors; every operand of one call
 * has the precision's dtype (FP32 for FP32 and TF32). Work is queued on the context's stream.
 * Not thread-safe.
 *
 * <pre>{@code
 * CudaMatmul mm = cuda.matmul();
 * // out (N,OC) = gelu(x (N,C) @ w (C,OC) + bias (OC))
 * mm.matmul(CudaMatmul.Precision.BF16, out, x, false, w, false, bias, CudaMatmul.Epilogue.GELU_BIAS, false);
 * // att (B*NH,T,T) = q (B*NH,T,HS) @ k^T, scaled
 * mm.matmulBatched(CudaMatmul.Precision.BF16, att, q, false, k, true, 1f / (float) Math.sqrt(HS), false);
 * }</pre>
 */
public final class CudaMatmul implements AutoCloseable {

    /** Input/output precision; accumulation is always FP32. */
    public enum Precision {
        FP32(DType.FP32, CublasLt.CUDA_R_32F, CublasLt.CUBLAS_COMPUTE_32F),
        TF32(DType.FP32, CublasLt.CUDA_R_32F, CublasLt.CUBLAS_COMPUTE_32F_FAST_TF32),
        BF16(DType.BF16, CublasLt.CUDA_R_16BF, CublasLt.CUBLAS_COMPUTE_32F),
        FP16(DType.FP16, CublasLt.CUDA_R_16F, CublasLt.CUBLAS_COMPUTE_32F);

        private final DType dtype;
        private final int cudaType;
        private final int computeType;

        Precision(DType dtype, int cudaType, int computeType) {
            this.dtype = dtype;
            this.cudaType = cudaType;
            this.computeType = computeType;
        }

        /** The dtype of every operand. */
        public DType dtype() {
            return dtype;
        }

        int cudaType() {
            return cudaType;
        }

        int computeType() {
            return computeType;
        }
    }

    /** What is fused after the product. */
    public enum Epilogue {
        /** out = op(a) op(b) [+ out]. */
        NONE(CublasLt.CUBLASLT_EPILOGUE_DEFAULT),
        /** out = op(a) op(b) + bias (N) [+ out]. */
        BIAS(CublasLt.CUBLASLT_EPILOGUE_BIAS),
        /** out = gelu_tanh(op(a) op(b) + bias (N)); no accumulate. */
        GELU_BIAS(CublasLt.CUBLASLT_EPILOGUE_GELU_BIAS),
        /**
         * out = op(a) op(b) [+ out], and bias (N) = the sums over K of op(b), overwritten: the bias
         * gradient when b is dout, as in dW (C,OC) = x^T (C,N) @ dout (N,OC). (cuBLASLt's BGRADA:
         * our b is its A after the row-major swap.)
         */
        BGRADB(CublasLt.CUBLASLT_EPILOGUE_BGRADA);

        private final int cublasLtEpilogue;

        Epilogue(int cublasLtEpilogue) {
            this.cublasLtEpilogue = cublasLtEpilogue;
        }

        int cublasLtEpilogue() {
            return cublasLtEpilogue;
        }
    }

    private final CudaContext context;
    private final Map<MatmulKey, MatmulPlan> plans = new HashMap<>();
    private final MatmulKey probe = new MatmulKey();   // set per call to look the plan up: no key object per matmul
    private final Arena arena = Arena.ofShared();
    private final MemorySegment alpha = arena.allocate(ValueLayout.JAVA_FLOAT); // host scalars (pointer mode host)
    private final MemorySegment beta = arena.allocate(ValueLayout.JAVA_FLOAT);
    private final MemorySegment biasSlot = arena.allocate(ValueLayout.ADDRESS);
    private final MemorySegment pointerSlot = arena.allocate(ValueLayout.ADDRESS);

    CudaMatmul(CudaContext context) {
        this.context = context;
    }

    /**
     * out (M,N) = op(a) @ op(b), with the epilogue; a is (M,K), or (K,M) when {@code transA}; b is
     * (K,N), or (N,K) when {@code transB}; tensors of any rank are read as (rows, last dimension).
     * {@code bias} is null for {@link Epilogue#NONE}, else a tensor of N elements. With
     * {@code accumulate} the result is added to out (not allowed with GELU_BIAS).
     */
    public void matmul(Precision precision, Tensor out, Tensor a, boolean transA, Tensor b, boolean transB,
                       Tensor bias, Epilogue epilogue, boolean accumulate) {
        int m = out.rows(), n = out.dim(-1);
        int k = transA ? a.rows() : a.dim(-1);
        requireMatrix("a", a, transA ? k : m, transA ? m : k);
        requireMatrix("b", b, transB ? n : k, transB ? k : n);
        run(precision, epilogue, out, a, transA, b, transB, bias, m, n, k, 1, 1f, accumulate);
    }

    /** {@link #matmul} with Kernels.matmul's arguments: FP32 or TF32 by {@code tf32}, bias epilogue when bias is given. */
    public void matmul(Tensor out, Tensor a, boolean transA, Tensor b, boolean transB, Tensor bias, boolean accumulate, boolean tf32) {
        Precision p = out.dtype() == DType.FP32 ? (tf32 ? Precision.TF32 : Precision.FP32)
                : out.dtype() == DType.BF16 ? Precision.BF16 : Precision.FP16;
        matmul(p, out, a, transA, b, transB, bias, bias == null ? Epilogue.NONE : Epilogue.BIAS, accumulate);
    }

    /**
     * out (batch,M,N) = alpha op(a) @ op(b) for each of {@code batch} contiguous matrices: a is
     * (batch,M,K) or (batch,K,M) when {@code transA}; b is (batch,K,N) or (batch,N,K).
     */
    public void matmulBatched(Precision precision, Tensor out, Tensor a, boolean transA, Tensor b, boolean transB,
                              float alpha, boolean accumulate) {
        if (out.rank() != 3 || a.rank() != 3 || b.rank() != 3) {
            throw new IllegalArgumentException("batched matmul takes rank-3 tensors, got " + out + ", " + a + ", " + b);
        }
        int batch = out.dim(0), m = out.dim(1), n = out.dim(2);
        int k = transA ? a.dim(1) : a.dim(2);
        if (a.dim(0) != batch || b.dim(0) != batch) {
            throw new IllegalArgumentException("batch sizes differ: " + out + ", " + a + ", " + b);
        }
        requireBatch("a", a, transA ? k : m, transA ? m : k);
        requireBatch("b", b, transB ? n : k, transB ? k : n);
        run(precision, Epilogue.NONE, out, a, transA, b, transB, null, m, n, k, batch, alpha, accumulate);
    }

    /**
     * {@link #matmulBatched} on tensors of any rank read as {@code batch} contiguous row-major
     * matrices each: out holds batch (m,n) matrices, a batch (m,k) ones ((k,m) when {@code transA}),
     * b batch (k,n) ones ((n,k) when {@code transB}); only their element counts are checked. For
     * callers that would otherwise make a rank-3 view per call (attention's (B,NH,T,T) probabilities).
     */
    void matmulStrided(Precision precision, Tensor out, Tensor a, boolean transA, Tensor b, boolean transB, int batch,
                       int m, int n, int k, float alpha, boolean accumulate) {
        if (out.numel() != (long) batch * m * n || a.numel() != (long) batch * m * k || b.numel() != (long) batch * k * n) {
            throw new IllegalArgumentException("batched matmul of " + batch + " (" + m + "," + k + ") @ (" + k + "," + n
                    + ") matrices: out " + out + ", a " + a + ", b " + b + " have other element counts");
        }
        run(precision, Epilogue.NONE, out, a, transA, b, transB, null, m, n, k, batch, alpha, accumulate);
    }

    /**
     * out (M,N) = aScaleInverse[0] * bScaleInverse[0] * a (M,K) @ b^T [+ out], where b is stored
     * (N,K): FP8 operands in the layout Hopper's FP8 Tensor Cores require (cuBLASLt's A transposed,
     * B not, after the row-major swap), so a caller keeps weights and activations transposed as
     * needed. a and b are E4M3 or E5M2, not both E5M2 (the hybrid recipe: E5M2 for gradients);
     * each scale inverse is a (1) FP32 device tensor, 1/scale of that operand's cast. out is BF16
     * or FP32; accumulation is FP32, with {@code fastAccum} Hopper's faster accumulation that
     * Transformer Engine uses in the forward pass. When {@code amax} (1) FP32 is not null,
     * cuBLASLt writes max |out| into it (the output's amax for delayed scaling). Needs compute
     * capability 8.9 or 9.0+; cuBLASLt refuses otherwise (CUBLAS_STATUS_NOT_SUPPORTED).
     */
    public void matmulFp8(Tensor out, Tensor a, Tensor aScaleInverse, Tensor b, Tensor bScaleInverse, Tensor amax,
                          boolean fastAccum, boolean accumulate) {
        int m = out.rows(), n = out.dim(-1);
        int k = a.dim(-1);
        requireMatrix("a", a, m, k);
        requireMatrix("b", b, n, k);
        int typeA = fp8Type("a", a), typeB = fp8Type("b", b);
        if (typeA == CublasLt.CUDA_R_8F_E5M2 && typeB == CublasLt.CUDA_R_8F_E5M2) {
            throw new IllegalArgumentException("FP8 matmul of two E5M2 operands: cuBLASLt takes E4M3 x E4M3, E4M3 x E5M2 or E5M2 x E4M3");
        }
        Precision p = switch (out.dtype()) {
            case BF16 -> Precision.BF16;
            case FP32 -> Precision.FP32;
            default -> throw new IllegalArgumentException("FP8 matmul writes BF16 or FP32, out is " + out);
        };
        requireScalar(aScaleInverse);
        requireScalar(bScaleInverse);
        requireScalar(amax);
        long outPtr = DeviceMemory.devicePointer(out, "matmul out");
        long aPtr = DeviceMemory.devicePointer(a, "matmul a");
        long bPtr = DeviceMemory.devicePointer(b, "matmul b");
        MatmulPlan plan = plan(probe.set(p, Epilogue.NONE, m, n, k, 1, false, true, -1, alignment(aPtr), alignment(bPtr),
                alignment(outPtr)).fp8(typeA, typeB, fastAccum));
        plan.setFp8Pointers(pointerSlot, device(aScaleInverse, "FP8 scale of a"), device(bScaleInverse, "FP8 scale of b"),
                amax == null ? MemorySegment.NULL : device(amax, "FP8 amax"));
        launch(plan, out, a, b, 1f, accumulate);
    }

    /** Number of shapes prepared so far (one heuristic call each). */
    public int cachedPlans() {
        return plans.size();
    }

    private void run(Precision p, Epilogue epilogue, Tensor out, Tensor a, boolean transA, Tensor b, boolean transB,
                     Tensor bias, int m, int n, int k, int batch, float alphaValue, boolean accumulate) {
        requireDtype(p, "out", out);
        requireDtype(p, "a", a);
        requireDtype(p, "b", b);
        long outPtr = DeviceMemory.devicePointer(out, "matmul out");
        long aPtr = DeviceMemory.devicePointer(a, "matmul a");
        long bPtr = DeviceMemory.devicePointer(b, "matmul b");
        int biasType = -1;
        if (epilogue == Epilogue.NONE) {
            if (bias != null) {
                throw new IllegalArgumentException("a bias was given without a bias epilogue");
            }
        } else {
            if (bias == null || bias.numel() != n) {
                throw new IllegalArgumentException(epilogue + " needs a bias of " + n + " elements, got " + bias);
            }
            DeviceMemory.devicePointer(bias, "matmul bias");
            biasType = cudaType(bias.dtype());
            if (epilogue == Epilogue.GELU_BIAS && accumulate) {
                throw new IllegalArgumentException("GELU_BIAS cannot accumulate into out");
            }
        }
        // With a batch, every matrix must be as aligned as the first: the stride counts too.
        long size = p.dtype().byteSize();
        long strides = batch > 1 ? 1 : 0;
        MatmulPlan plan = plan(probe.set(p, epilogue, m, n, k, batch, transA, transB, biasType,
                alignment(aPtr | strides * m * k * size), alignment(bPtr | strides * k * n * size),
                alignment(outPtr | strides * m * n * size)));
        if (bias != null) {
            plan.setBias(biasSlot, bias.data());
        }
        launch(plan, out, a, b, alphaValue, accumulate);
    }

    /** The plan of the shape {@code probe} holds now, made and stored under a copy of it the first time. */
    private MatmulPlan plan(MatmulKey probe) {
        MatmulPlan plan = plans.get(probe);
        if (plan == null) {
            MatmulKey key = probe.copy();
            plan = MatmulPlan.create(context.cublasLtHandle(), key, context.workspace().byteSize());
            plans.put(key, plan);
        }
        return plan;
    }

    private void launch(MatmulPlan plan, Tensor out, Tensor a, Tensor b, float alphaValue, boolean accumulate) {
        alpha.set(ValueLayout.JAVA_FLOAT, 0, alphaValue);
        beta.set(ValueLayout.JAVA_FLOAT, 0, accumulate ? 1f : 0f);
        // cuBLASLt's A is our b and its B our a (see MatmulPlan); C and D are both out.
        int status = CublasLt.cublasLtMatmul(context.cublasLtHandle(), plan.desc, alpha,
                b.data(), plan.layoutA, a.data(), plan.layoutB, beta, out.data(), plan.layoutD, out.data(), plan.layoutD,
                plan.algo, context.workspace(), plan.workspaceBytes, context.stream().handle());
        if (status != CublasLt.CUBLAS_STATUS_SUCCESS) {   // the message (the plan's key) is built on failure only
            CublasLt.check(status, "cublasLtMatmul(" + plan.key + ")");
        }
    }

    private static MemorySegment device(Tensor t, String use) {
        DeviceMemory.devicePointer(t, use);
        return t.data();
    }

    private static int fp8Type(String name, Tensor t) {
        return switch (t.dtype()) {
            case FP8_E4M3 -> CublasLt.CUDA_R_8F_E4M3;
            case FP8_E5M2 -> CublasLt.CUDA_R_8F_E5M2;
            default -> throw new IllegalArgumentException("FP8 matmul operand " + name + " is not FP8: " + t);
        };
    }

    /** The largest power of two up to 256 dividing {@code address}. */
    static int alignment(long address) {
        long low = address == 0 ? 256 : Long.lowestOneBit(address);
        return (int) Math.min(256, low);
    }

    private static int cudaType(DType t) {
        return switch (t) {
            case FP32 -> CublasLt.CUDA_R_32F;
            case BF16 -> CublasLt.CUDA_R_16BF;
            case FP16 -> CublasLt.CUDA_R_16F;
            default -> throw new IllegalArgumentException("no cuBLASLt bias of type " + t);
        };
    }

    private static void requireDtype(Precision p, String name, Tensor t) {
        if (t.dtype() != p.dtype()) {
            throw new IllegalArgumentException(p + " matmul needs " + p.dtype() + " operands, " + name + " is " + t);
        }
    }

    /** A rank-3 operand of matmulBatched: (batch, rows, cols), the batch checked by the caller. */
    private static void requireBatch(String name, Tensor t, int rows, int cols) {
        if (t.dim(1) != rows || t.dim(2) != cols) {
            throw new IllegalArgumentException("batched matmul operand " + name + " " + t + " is not (batch," + rows + ","
                    + cols + ")");
        }
    }

    /** An FP8 scale or amax: null or a (1) FP32 tensor. */
    private static void requireScalar(Tensor scalar) {
        if (scalar != null && (scalar.dtype() != DType.FP32 || scalar.numel() != 1)) {
            throw new IllegalArgumentException("FP8 matmul scales and amax are (1) FP32 tensors, got " + scalar);
        }
    }

    private static void requireMatrix(String name, Tensor t, int rows, int cols) {
        if (t.numel() != (long) rows * cols || t.dim(-1) != cols) {
            throw new IllegalArgumentException("matmul operand " + name + " " + t + " is not (" + rows + "," + cols + ")");
        }
    }

    @Override
    public void close() {
        for (MatmulPlan plan : plans.values()) {
            plan.close();
        }
        plans.clear();
        arena.close();
    }
}
