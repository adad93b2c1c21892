// The one object a training graph consults for number formats: the storage dtype of every tensor
// role and the compute mode of every matmul, derived from the --precision choice. It decides;
// casting, scaling and kernels are done by their owners (LossScaler, Fp8DelayedScaling, backends).
package org.panatrain.engine.precision;

import org.panatrain.memory.DType;

/**
 * What a precision means for each tensor and matmul. Always FP32: master weights, parameter
 * gradients, optimizer state, layernorm statistics, softmax, the loss, and matmul accumulation.
 * Under bf16/fp16 the working weights, activations and activation gradients are BF16/FP16; fp8
 * stores them in BF16 and casts matmul operands to E4M3 in the forward pass and gradients to
 * E5M2 in the backward pass (Transformer Engine's hybrid recipe), except in the first and last
 * layers, which stay BF16 unless {@code fp8HighPrecisionEnds} is false.
 *
 * <pre>{@code
 * PrecisionPolicy policy = PrecisionPolicy.of(Precision.parse("fp8"));
 * DType act = policy.storage(TensorRole.ACTIVATION);                        // BF16
 * MatmulPrecision fwd = policy.matmul(LayerPosition.BLOCK, MatmulPass.FORWARD); // E4M3 x E4M3 -> BF16
 * if (policy.needsLossScaling()) { ... LossScaler ... }                    // fp16 only
 * }</pre>
 */
public record PrecisionPolicy(Precision precision, boolean fp8HighPrecisionEnds) {

    /** The policy of {@code precision} with the defaults (fp8: embedding and head in BF16). */
    public static PrecisionPolicy of(Precision precision) {
        return new PrecisionPolicy(precision, true);
    }

    /** The dtype a tensor of {@code role} is stored in. */
    public DType storage(TensorRole role) {
        return switch (role) {
            case WORKING_WEIGHT, ACTIVATION, ACTIVATION_GRADIENT -> lowPrecision();
            case MASTER_WEIGHT, PARAMETER_GRADIENT, OPTIMIZER_STATE, LAYERNORM_STATISTICS, SOFTMAX, LOSS -> DType.FP32;
        };
    }

    /** True when the working weights differ from the master weights, so the optimizer must refresh a copy. */
    public boolean hasWorkingWeights() {
        return storage(TensorRole.WORKING_WEIGHT) != storage(TensorRole.MASTER_WEIGHT);
    }

    /** True for fp16, whose narrow exponent range needs dynamic loss scaling ({@link LossScaler}). */
    public boolean needsLossScaling() {
        return precision == Precision.FP16;
    }

    /** True when some matmul casts its operands to FP8 ({@link Fp8DelayedScaling} per operand tensor). */
    public boolean usesFp8() {
        return precision == Precision.FP8;
    }

    /** How the {@code pass} matmul of a layer at {@code position} computes. */
    public MatmulPrecision matmul(LayerPosition position, MatmulPass pass) {
        // Weight gradients land in the FP32 parameter gradients; the other two write activations.
        DType output = pass == MatmulPass.WEIGHT_GRADIENT
                ? storage(TensorRole.PARAMETER_GRADIENT) : storage(TensorRole.ACTIVATION);
        boolean fp8 = usesFp8() && (position == LayerPosition.BLOCK || !fp8HighPrecisionEnds);
        if (!fp8) {
            DType operands = lowPrecision();
            return new MatmulPrecision(operands, operands, output, precision == Precision.TF32);
        }
        // Hybrid recipe: E4M3 (more mantissa) for weights and activations, E5M2 (more range) for gradients.
        DType a = pass == MatmulPass.FORWARD ? DType.FP8_E4M3 : DType.FP8_E5M2;
        return new MatmulPrecision(a, DType.FP8_E4M3, output, false);
    }

    private DType lowPrecision() {
        return switch (precision) {
            case FP32, TF32 -> DType.FP32;
            case BF16, FP8 -> DType.BF16;
            case FP16 -> DType.FP16;
        };
    }
}
