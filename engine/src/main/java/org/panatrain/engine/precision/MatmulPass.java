// The three matmuls of one linear layer in a training step; they differ in which operands are gradients.
package org.panatrain.engine.precision;

/**
 * For a layer y = x @ w: the forward matmul and the two backward matmuls.
 *
 * <pre>{@code
 * MatmulPrecision dgrad = policy.matmul(LayerPosition.BLOCK, MatmulPass.INPUT_GRADIENT);
 * }</pre>
 */
public enum MatmulPass {
    /** y = x @ w: operand a is the activation x, b the weight w. */
    FORWARD,
    /** dx = dy @ w^T: operand a is the gradient dy, b the weight w. */
    INPUT_GRADIENT,
    /** dw += x^T @ dy: operand a is the gradient dy, b the activation x. */
    WEIGHT_GRADIENT
}
