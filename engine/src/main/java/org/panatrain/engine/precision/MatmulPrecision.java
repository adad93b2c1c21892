// How one matmul computes: the dtypes its operands are read in, the dtype it writes, and whether
// FP32 operands may use TF32 Tensor Cores. Accumulation is FP32 in every case, so it is no field.
package org.panatrain.engine.precision;

import org.panatrain.memory.DType;

/**
 * The compute mode of one matmul. {@code a} and {@code b} are the operand dtypes as
 * {@link MatmulPass} names the operands; an FP8 operand is a per-tensor scaled cast (see
 * {@link Fp8DelayedScaling}); {@code output} is the dtype written.
 *
 * <pre>{@code
 * MatmulPrecision m = policy.matmul(LayerPosition.BLOCK, MatmulPass.FORWARD);
 * if (m.isFp8()) { ... scaled casts of both operands, cuBLASLt FP8 ... }
 * }</pre>
 */
public record MatmulPrecision(DType a, DType b, DType output, boolean tf32) {

    /** True when an operand is an FP8 cast that needs a scale. */
    public boolean isFp8() {
        return isFp8(a) || isFp8(b);
    }

    /** True for the two FP8 dtypes. */
    public static boolean isFp8(DType type) {
        return type == DType.FP8_E4M3 || type == DType.FP8_E5M2;
    }
}
