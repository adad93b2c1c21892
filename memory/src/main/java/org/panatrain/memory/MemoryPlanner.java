// Static placement of the buffers of one execution order in a single arena: greedy by size with
// best fit, as TensorFlow Lite's greedy-by-size planner and XLA's heap simulator do it. Buffers
// are taken largest first; each goes into the smallest gap, between the already placed buffers
// whose lifetimes overlap its own, that holds it, or else right after the highest of them.
// Leaves out: in-place aliasing (an op's output sharing an input's bytes) and arena growth.
package org.panatrain.memory;

import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Plans byte offsets for buffers with known lifetimes so that no two buffers live at the same op
 * overlap in memory. Every offset is a multiple of {@link #ALIGNMENT} and every buffer occupies
 * its size rounded up to it. Deterministic: ties are broken by first use, then input index.
 *
 * <pre>{@code
 * List<BufferLifetime> buffers = List.of(
 *         new BufferLifetime("a", 1000, 0, 1, "ACTIVATION"),
 *         new BufferLifetime("b", 600, 1, 2, "ACTIVATION"),
 *         new BufferLifetime("c", 900, 2, 3, "TEMPORARY"));
 * MemoryPlan plan = MemoryPlanner.plan(buffers);   // c reuses a's bytes: peak 1792, ratio 1.0
 * }</pre>
 *
 * <p>Cost: a sort, then per buffer a gather of the placed buffers it overlaps in time (through a
 * segment tree over op indices) and a sort of those by offset; a GPT-2 XL training step plans in
 * milliseconds.
 */
public final class MemoryPlanner {
    /** Offset alignment and size granule of every buffer, in bytes (a GPU memory transaction). */
    public static final long ALIGNMENT = 256;

    // A candidate is sorted as one long: offset / ALIGNMENT in the high bits, buffer index in the low.
    private static final int INDEX_BITS = 21;
    private static final long MAX_OFFSET_UNITS = 1L << (63 - INDEX_BITS);

    private MemoryPlanner() {
    }

    /** {@code bytes} rounded up to a multiple of {@link #ALIGNMENT}. */
    public static long alignUp(long bytes) {
        return (bytes + ALIGNMENT - 1) / ALIGNMENT * ALIGNMENT;
    }

    /** Places {@code buffers}; offsets in the plan are indexed like the list. */
    public static MemoryPlan plan(List<BufferLifetime> buffers) {
        int n = buffers.size();
        if (n >= 1 << INDEX_BITS) {
            throw new IllegalArgumentException("cannot plan " + n + " buffers, at most " + ((1 << INDEX_BITS) - 1));
        }
        int[] first = new int[n];
        int[] last = new int[n];
        long[] size = new long[n];   // aligned
        int opCount = 0;
        for (int i = 0; i < n; i++) {
            BufferLifetime b = buffers.get(i);
            first[i] = b.firstUse();
            last[i] = b.lastUse();
            size[i] = alignUp(b.bytes());
            opCount = Math.max(opCount, b.lastUse() + 1);
        }
        long[] offsets = place(first, last, size, opCount);
        long peak = 0;
        for (int i = 0; i < n; i++) {
            peak = Math.max(peak, offsets[i] + size[i]);
        }
        return withLowerBound(buffers, size, offsets, peak, opCount);
    }

    private static long[] place(int[] first, int[] last, long[] size, int opCount) {
        int n = size.length;
        Integer[] order = new Integer[n];
        for (int i = 0; i < n; i++) {
            order[i] = i;
        }
        Arrays.sort(order, (a, b) -> size[a] != size[b] ? Long.compare(size[b], size[a])
                : first[a] != first[b] ? Integer.compare(first[a], first[b]) : Integer.compare(a, b));
        long[] offsets = new long[n];
        LifetimeIndex placed = new LifetimeIndex(first, last, Math.max(opCount, 1));
        LifetimeIndex.IntList overlapping = new LifetimeIndex.IntList();
        long[] keys = new long[64];
        for (int i : order) {
            if (size[i] == 0) {
                continue;   // occupies nothing, offset 0
            }
            placed.overlapping(first[i], last[i], overlapping);
            int k = overlapping.size;
            if (keys.length < k) {
                keys = new long[Math.max(k, keys.length * 2)];
            }
            for (int c = 0; c < k; c++) {
                int j = overlapping.values[c];
                keys[c] = offsets[j] / ALIGNMENT << INDEX_BITS | j;
            }
            Arrays.sort(keys, 0, k);
            offsets[i] = bestFit(keys, k, offsets, size, size[i]);
            if (offsets[i] / ALIGNMENT >= MAX_OFFSET_UNITS) {
                throw new IllegalArgumentException("the plan exceeds " + MAX_OFFSET_UNITS * ALIGNMENT + " bytes");
            }
            placed.add(i);
        }
        return offsets;
    }

    // Sweeps the overlapping buffers in offset order, tracking the highest end seen so far; a gap
    // is the space between that end and the next buffer's offset.
    private static long bestFit(long[] keys, int k, long[] offsets, long[] size, long need) {
        long end = 0;
        long bestOffset = -1;
        long bestGap = Long.MAX_VALUE;
        for (int c = 0; c < k; c++) {
            int j = (int) (keys[c] & ((1L << INDEX_BITS) - 1));
            long gap = offsets[j] - end;
            if (gap >= need && gap < bestGap) {
                bestGap = gap;
                bestOffset = end;
            }
            end = Math.max(end, offsets[j] + size[j]);
        }
        return bestOffset >= 0 ? bestOffset : end;
    }

    // The largest live sum over op indices (a sweep over +size at first use, -size after last use)
    // and the live bytes per category at the first op index that reaches it.
    private static MemoryPlan withLowerBound(List<BufferLifetime> buffers, long[] size, long[] offsets, long peak,
                                             int opCount) {
        long[] delta = new long[opCount + 1];
        for (int i = 0; i < size.length; i++) {
            delta[buffers.get(i).firstUse()] += size[i];
            delta[buffers.get(i).lastUse() + 1] -= size[i];
        }
        long live = 0;
        long lowerBound = 0;
        int lowerBoundOp = 0;
        for (int op = 0; op < opCount; op++) {
            live += delta[op];
            if (live > lowerBound) {
                lowerBound = live;
                lowerBoundOp = op;
            }
        }
        Map<String, Long> byCategory = new LinkedHashMap<>();
        for (int i = 0; i < size.length; i++) {
            BufferLifetime b = buffers.get(i);
            byCategory.putIfAbsent(b.category(), 0L);
            if (b.firstUse() <= lowerBoundOp && lowerBoundOp <= b.lastUse()) {
                byCategory.merge(b.category(), size[i], Long::sum);
            }
        }
        return new MemoryPlan(offsets, peak, lowerBound, lowerBoundOp, byCategory);
    }
}
