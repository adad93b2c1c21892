// Where each arena tensor of a graph sits in the executor's one arena. The only layout so far is
// sequential (every used tensor its own 64-byte aligned slot, no reuse); the memory planner of a
// later issue produces layouts that reuse bytes of tensors whose lifetimes do not overlap.
package org.panatrain.engine.graph;

import java.util.Arrays;
import java.util.List;
import org.panatrain.memory.HostArena;

/**
 * Byte offsets by spec id (-1 for specs outside the arena or unused) and the arena size.
 *
 * <pre>{@code
 * ArenaLayout layout = ArenaLayout.sequential(graph);
 * long bytes = layout.bytes();
 * }</pre>
 */
public record ArenaLayout(long[] offsets, long bytes) {

    public ArenaLayout {
        offsets = offsets.clone();
    }

    @Override
    public long[] offsets() {
        return offsets.clone();
    }

    /** The offset of {@code spec}, or -1 when it has no arena slot. */
    public long offset(TensorSpec spec) {
        return offsets[spec.id()];
    }

    /** Every used arena tensor (activations, their gradients, temporaries) in its own aligned slot. */
    public static ArenaLayout sequential(Graph graph) {
        List<TensorSpec> specs = graph.tensors();
        List<Lifetime> lives = graph.lifetimes();
        long[] offsets = new long[specs.size()];
        Arrays.fill(offsets, -1);
        long total = 0;
        for (TensorSpec s : specs) {
            if (s.category().inArena() && lives.get(s.id()).used()) {
                offsets[s.id()] = total;
                total = alignUp(total + s.byteSize());
            }
        }
        return new ArenaLayout(offsets, total);
    }

    /** {@code bytes} rounded up to the arena alignment (64). */
    public static long alignUp(long bytes) {
        return (bytes + HostArena.ALIGNMENT - 1) / HostArena.ALIGNMENT * HostArena.ALIGNMENT;
    }
}
