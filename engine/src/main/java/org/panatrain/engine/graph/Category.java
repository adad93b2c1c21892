// What a tensor of a graph is for. The executor places the per-step categories in its arena;
// the model owns the others. A later memory planner and recompute scheduler key off this too.
package org.panatrain.engine.graph;

/**
 * The role of a tensor in a training step.
 *
 * <pre>{@code
 * if (spec.category().inArena()) { ... }   // activations, their gradients, temporaries
 * }</pre>
 */
public enum Category {
    /** A model weight; bound to the model's parameter memory. */
    PARAMETER,
    /** The gradient of a parameter; bound to the model's gradient memory, accumulated across micro-batches. */
    GRADIENT,
    /** Optimizer moments; owned by the model, never touched by graph ops. */
    OPTIMIZER_STATE,
    /** An input or an output of a forward op (tokens and targets included). */
    ACTIVATION,
    /** The gradient of an activation; zeroed by the graph before its first contribution. */
    ACTIVATION_GRADIENT,
    /** Scratch space of one op, dead after it. */
    TEMPORARY;

    /** True for the categories that live in the executor's per-step arena. */
    public boolean inArena() {
        return this == ACTIVATION || this == ACTIVATION_GRADIENT || this == TEMPORARY;
    }
}
