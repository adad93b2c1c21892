// A time index over placed buffers, so that the planner finds the buffers whose lifetimes overlap
// a new one [from, to] without scanning all of them, each found exactly once: those live at op
// `from` (a stabbing query on a segment tree over op indices, where a lifetime is listed in the
// O(log ops) nodes that tile it) plus those whose first use falls in (from, to] (per-op lists).
// Cost per query: O(log ops + (to - from) + answers). Leaves out removal.
package org.panatrain.memory;

import java.util.Arrays;

/** Buffers (by index) indexed by lifetime; see {@link #overlapping}. */
final class LifetimeIndex {
    private final int[] first;        // by buffer index
    private final int[] last;         // by buffer index
    private final int leaves;         // a power of two >= number of ops
    private final IntList[] covering; // segment tree nodes (root 1, leaf of op p at leaves + p)
    private final IntList[] starting; // by op index: buffers whose first use it is

    LifetimeIndex(int[] first, int[] last, int opCount) {
        this.first = first;
        this.last = last;
        this.leaves = Integer.highestOneBit(Math.max(1, opCount - 1)) << 1;
        this.covering = new IntList[2 * leaves];
        this.starting = new IntList[opCount];
    }

    void add(int buffer) {
        list(starting, first[buffer]).add(buffer);
        // the canonical nodes tiling [first, last + 1)
        for (int lo = first[buffer] + leaves, hi = last[buffer] + 1 + leaves; lo < hi; lo >>= 1, hi >>= 1) {
            if ((lo & 1) == 1) {
                list(covering, lo++).add(buffer);
            }
            if ((hi & 1) == 1) {
                list(covering, --hi).add(buffer);
            }
        }
    }

    /** Appends the added buffers live at some op of [from, to] to {@code out}, each once. */
    void overlapping(int from, int to, IntList out) {
        out.clear();
        for (int node = from + leaves; node >= 1; node >>= 1) {
            if (covering[node] != null) {
                out.addAll(covering[node]);
            }
        }
        for (int op = from + 1; op <= to; op++) {
            if (starting[op] != null) {
                out.addAll(starting[op]);
            }
        }
    }

    private static IntList list(IntList[] lists, int i) {
        IntList l = lists[i];
        return l != null ? l : (lists[i] = new IntList());
    }

    /** A growable int array. */
    static final class IntList {
        int[] values = new int[8];
        int size;

        void add(int v) {
            if (size == values.length) {
                values = Arrays.copyOf(values, size * 2);
            }
            values[size++] = v;
        }

        void addAll(IntList other) {
            if (size + other.size > values.length) {
                values = Arrays.copyOf(values, Math.max(size + other.size, size * 2));
            }
            System.arraycopy(other.values, 0, values, size, other.size);
            size += other.size;
        }

        void clear() {
            size = 0;
        }
    }
}
