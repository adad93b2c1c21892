// A training step as data: a table of tensor specs and a list of ops over them. Models emit the
// forward ops, Autograd appends the backward ops, the Executor runs them. Later a scheduler
// reorders (recompute) and a planner places tensors from the same table and lifetimes.
package org.panatrain.engine.graph;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collections;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.panatrain.memory.DType;

/**
 * A mutable graph under construction: declare tensors, append ops, then read the lifetimes.
 *
 * <pre>{@code
 * Graph g = new Graph();
 * TensorSpec x = g.tensor("x", Category.ACTIVATION, DType.FP32, N, C);   // (N, C)
 * TensorSpec y = g.tensor("y", Category.ACTIVATION, DType.FP32, N, C);   // (N, C)
 * g.add(new Op.Gelu(y, x));
 * List<Lifetime> lives = g.lifetimes();
 * }</pre>
 */
public final class Graph {
    private final List<TensorSpec> tensors = new ArrayList<>();
    private final Map<String, TensorSpec> byName = new HashMap<>();
    private final List<Op> ops = new ArrayList<>();
    private final List<String> scalars = new ArrayList<>();
    private final List<String> seeds = new ArrayList<>();

    /** Declares a tensor; names are unique within a graph. */
    public TensorSpec tensor(String name, Category category, DType dtype, int... shape) {
        if (byName.containsKey(name)) {
            throw new IllegalArgumentException("tensor \"" + name + "\" is declared twice");
        }
        TensorSpec spec = new TensorSpec(tensors.size(), name, dtype, shape, category);
        tensors.add(spec);
        byName.put(name, spec);
        return spec;
    }

    /** Appends an op whose tensors must all be specs of this graph; returns its index. */
    public int add(Op op) {
        for (TensorSpec t : op.tensors()) {
            if (t.id() >= tensors.size() || !tensors.get(t.id()).equals(t)) {
                throw new IllegalArgumentException(op + " uses " + t + ", which is not a tensor of this graph");
            }
        }
        ops.add(op);
        return ops.size() - 1;
    }

    /** Declares a runtime scalar (set on the executor before a run); returns its slot. */
    public int scalar(String name) {
        if (scalars.contains(name)) {
            throw new IllegalArgumentException("scalar \"" + name + "\" is declared twice");
        }
        scalars.add(name);
        return scalars.size() - 1;
    }

    /** Declares a runtime 64-bit seed (set on the executor before a run); returns its slot. */
    public int seed(String name) {
        if (seeds.contains(name)) {
            throw new IllegalArgumentException("seed \"" + name + "\" is declared twice");
        }
        seeds.add(name);
        return seeds.size() - 1;
    }

    /** The tensor called {@code name}, or an IllegalArgumentException. */
    public TensorSpec tensor(String name) {
        TensorSpec s = byName.get(name);
        if (s == null) {
            throw new IllegalArgumentException("no tensor \"" + name + "\" in the graph");
        }
        return s;
    }

    /** The tensor table, indexed by spec id. */
    public List<TensorSpec> tensors() {
        return Collections.unmodifiableList(tensors);
    }

    /** The ops in execution order. */
    public List<Op> ops() {
        return Collections.unmodifiableList(ops);
    }

    /** Number of runtime scalar slots. */
    public int scalarCount() {
        return scalars.size();
    }

    /** Number of runtime seed slots. */
    public int seedCount() {
        return seeds.size();
    }

    /** For each tensor (by id): the first and last op index that reads or writes it. */
    public List<Lifetime> lifetimes() {
        int[] first = new int[tensors.size()];
        int[] last = new int[tensors.size()];
        Arrays.fill(first, -1);
        Arrays.fill(last, -1);
        for (int i = 0; i < ops.size(); i++) {
            for (TensorSpec t : ops.get(i).tensors()) {
                if (first[t.id()] < 0) {
                    first[t.id()] = i;
                }
                last[t.id()] = i;
            }
        }
        List<Lifetime> lives = new ArrayList<>(tensors.size());
        for (int id = 0; id < tensors.size(); id++) {
            lives.add(new Lifetime(first[id], last[id]));
        }
        return lives;
    }
}
