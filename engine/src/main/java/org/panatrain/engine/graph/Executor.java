// Runs a graph on a backend. Every activation, activation gradient and temporary is a view into
// ONE arena allocated at construction, at the offset an ArenaLayout gives (sequential until the
// memory planner exists); parameters and their gradients are bound by the caller. A run
// allocates nothing.
package org.panatrain.engine.graph;

import java.lang.foreign.MemorySegment;
import java.util.List;
import java.util.Map;
import org.panatrain.kernels.Kernels;
import org.panatrain.memory.HostArena;
import org.panatrain.memory.Tensor;

/**
 * Executes ranges of a graph's ops.
 *
 * <pre>{@code
 * try (Executor ex = new Executor(graph, kernels, Map.of(wteSpec, wte, dwteSpec, dwte))) {
 *     ex.setScalar(lossScaleSlot, 1f / (B * T));
 *     ex.run(0, graph.ops().size());
 *     Tensor losses = ex.tensor(lossesSpec);
 * }
 * }</pre>
 */
public final class Executor implements AutoCloseable {
    private final Kernels kernels;
    private final Op[] ops;
    private final Tensor[] bound;       // by spec id
    private final float[] scalars;
    private final long[] seeds;
    private final BackendArena arena;
    private final long arenaBytes;

    /** An executor with the {@linkplain ArenaLayout#sequential sequential} layout. */
    public Executor(Graph graph, Kernels kernels, Map<TensorSpec, Tensor> external) {
        this(graph, kernels, external, ArenaLayout.sequential(graph));
    }

    /**
     * Binds the non-arena specs used by the graph to {@code external} tensors (same dtype and
     * element count), allocates the arena of {@code layout} and views every arena spec at its offset.
     */
    public Executor(Graph graph, Kernels kernels, Map<TensorSpec, Tensor> external, ArenaLayout layout) {
        this.kernels = kernels;
        this.ops = graph.ops().toArray(Op[]::new);
        this.scalars = new float[graph.scalarCount()];
        this.seeds = new long[graph.seedCount()];
        List<TensorSpec> specs = graph.tensors();
        List<Lifetime> lives = graph.lifetimes();
        this.bound = new Tensor[specs.size()];
        for (TensorSpec s : specs) {
            if (lives.get(s.id()).used() && !s.category().inArena()) {
                bound[s.id()] = checkedBinding(s, external.get(s));
            }
        }
        this.arenaBytes = layout.bytes();
        this.arena = BackendArena.forBackend(kernels);
        MemorySegment block = arena.allocateBytes(arenaBytes);
        for (TensorSpec s : specs) {
            if (lives.get(s.id()).used() && s.category().inArena()) {
                long offset = layout.offset(s);
                if (offset < 0 || offset % HostArena.ALIGNMENT != 0 || offset + s.byteSize() > arenaBytes) {
                    throw new IllegalArgumentException("layout places " + s + " at " + offset + " in an arena of "
                            + arenaBytes + " bytes");
                }
                bound[s.id()] = new Tensor(block.asSlice(offset, s.byteSize()), s.dtype(), s.shape(), arena.location());
            }
        }
    }

    private Tensor checkedBinding(TensorSpec s, Tensor t) {
        if (t == null) {
            throw new IllegalArgumentException("no tensor bound to " + s);
        }
        if (t.dtype() != s.dtype() || t.numel() != s.numel() || t.location() != kernels.location()) {
            throw new IllegalArgumentException(t + " cannot be bound to " + s + " on " + kernels.name());
        }
        return t.view(s.shape());
    }

    /** Sets a runtime scalar declared with {@link Graph#scalar}. */
    public void setScalar(int slot, float value) {
        scalars[slot] = value;
    }

    /** Sets a runtime seed declared with {@link Graph#seed}. */
    public void setSeed(int slot, long value) {
        seeds[slot] = value;
    }

    /** Number of ops of the graph (no list view made, unlike graph.ops().size()). */
    public int opCount() {
        return ops.length;
    }

    /** Runs ops [from, to) in order. */
    public void run(int from, int to) {
        for (int i = from; i < to; i++) {
            ops[i].run(kernels, bound, scalars, seeds);
        }
    }

    /** The tensor bound to {@code spec} (an arena view or an external tensor). */
    public Tensor tensor(TensorSpec spec) {
        Tensor t = bound[spec.id()];
        if (t == null) {
            throw new IllegalArgumentException(spec + " is used by no op of the graph");
        }
        return t;
    }

    /** Bytes of the activation arena. */
    public long arenaBytes() {
        return arenaBytes;
    }

    @Override
    public void close() {
        arena.close();
    }
}
