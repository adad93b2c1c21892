// What a tensor is for, as far as its number format goes. Finer than the graph's categories:
// the FP32 islands of a mixed-precision step (layernorm statistics, softmax, loss) are roles of
// their own. FP8 matmul operands are not a role: they are transient casts (see MatmulPrecision).
package org.panatrain.engine.precision;

/**
 * The role that decides a tensor's storage dtype under a {@link PrecisionPolicy}.
 *
 * <pre>{@code
 * DType d = policy.storage(TensorRole.ACTIVATION);   // BF16 under bf16 and fp8
 * }</pre>
 */
public enum TensorRole {
    /** The FP32 weights the optimizer updates. */
    MASTER_WEIGHT,
    /** The copy of the weights that matmuls read; refreshed from the master weights by the optimizer. */
    WORKING_WEIGHT,
    /** A parameter gradient: accumulated over micro-batches, unscaled, clipped. */
    PARAMETER_GRADIENT,
    /** AdamW's first and second moments. */
    OPTIMIZER_STATE,
    /** An input or output of a forward op. */
    ACTIVATION,
    /** The gradient of an activation. */
    ACTIVATION_GRADIENT,
    /** Layernorm mean and reciprocal standard deviation. */
    LAYERNORM_STATISTICS,
    /** Softmax inputs and outputs (attention probabilities). */
    SOFTMAX,
    /** Per-token losses and the logits' softmax inside the fused cross-entropy. */
    LOSS
}
