// A GPT-2 parameter with its two views: value (FP32 master weight) and gradient, each a slice of
// the model's corresponding block. The optimizer's state for it lives in the optimizer.
package org.panatrain.engine.model;

import org.panatrain.memory.Tensor;

/**
 * The tensors of one parameter, all of the parameter's shape and on the model's backend.
 *
 * <pre>{@code
 * for (Parameter p : model.parameters()) {
 *     kernels.fill(p.grad(), 0f);
 * }
 * }</pre>
 */
public record Parameter(ParameterSpec spec, Tensor value, Tensor grad) {

    /** The Hugging Face name. */
    public String name() {
        return spec.name();
    }
}
