// Where in the network a matmul sits: FP8 recipes keep the first and last layers in higher precision.
package org.panatrain.engine.precision;

/**
 * The position of a layer; under fp8 the {@link #EMBEDDING} and {@link #OUTPUT_HEAD} stay in BF16
 * by default, as Transformer Engine does.
 *
 * <pre>{@code
 * policy.matmul(LayerPosition.OUTPUT_HEAD, MatmulPass.FORWARD);
 * }</pre>
 */
public enum LayerPosition {
    /** Token and position embeddings (the first layer). */
    EMBEDDING,
    /** Any matmul inside a Transformer block (qkv, attention projection, MLP). */
    BLOCK,
    /** The language-model head, logits = x @ wte^T (the last layer). */
    OUTPUT_HEAD
}
