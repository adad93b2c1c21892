// A GPT-2 parameter with its four views: value (FP32 master weight), gradient, and the AdamW
// moments, each a slice of the model's corresponding block.
package org.panatrain.engine.model;

import org.panatrain.memory.Tensor;

/**
 * The tensors of one parameter, all of the parameter's shape and on the model's backend.
 *
 * <pre>{@code
 * for (Parameter p : model.parameters()) {
 *     kernels.adamW(p.value(), p.grad(), p.m(), p.v(), step);
 * }
 * }</pre>
 */
public record Parameter(ParameterSpec spec, Tensor value, Tensor grad, Tensor m, Tensor v) {

    /** The Hugging Face name. */
    public String name() {
        return spec.name();
    }
}
