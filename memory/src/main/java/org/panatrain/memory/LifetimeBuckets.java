// A coarse time index over placed buffers, so that the planner finds the buffers whose lifetimes
// overlap a new one without scanning all of them: op indices are cut into at most MAX_BUCKETS
// equal buckets and a placed buffer is listed in every bucket its lifetime touches. A query
// gathers those buckets' lists once each and keeps the true overlaps. Leaves out removal.
package org.panatrain.memory;

import java.util.Arrays;

/** Buffers (by index) listed per time bucket; see {@link #overlapping}. */
final class LifetimeBuckets {
    private static final int MAX_BUCKETS = 1024;

    private final int[] first;      // by buffer index
    private final int[] last;       // by buffer index
    private final int shift;        // bucket of op i = i >> shift
    private final int[][] lists;    // by bucket: buffer indices
    private final int[] lengths;    // by bucket
    private final int[] seenStamp;  // by buffer index: last query that visited it
    private int stamp;

    LifetimeBuckets(int[] first, int[] last, int opCount) {
        this.first = first;
        this.last = last;
        int s = 0;
        while (((opCount - 1) >> s) >= MAX_BUCKETS) {
            s++;
        }
        this.shift = s;
        int buckets = Math.max(1, ((opCount - 1) >> s) + 1);
        this.lists = new int[buckets][];
        this.lengths = new int[buckets];
        this.seenStamp = new int[first.length];
    }

    void add(int buffer) {
        for (int b = first[buffer] >> shift; b <= last[buffer] >> shift; b++) {
            int[] list = lists[b];
            if (list == null) {
                list = lists[b] = new int[16];
            } else if (lengths[b] == list.length) {
                list = lists[b] = Arrays.copyOf(list, list.length * 2);
            }
            list[lengths[b]++] = buffer;
        }
    }

    /**
     * Writes the added buffers live at some op of [from, to] into {@code out} (grown as needed)
     * and returns it; the count is returned through {@code count[0]}.
     */
    int[] overlapping(int from, int to, int[] out, int[] count) {
        stamp++;
        int n = 0;
        for (int b = from >> shift; b <= to >> shift; b++) {
            int[] list = lists[b];
            for (int k = 0, len = lengths[b]; k < len; k++) {
                int j = list[k];
                if (seenStamp[j] != stamp) {
                    seenStamp[j] = stamp;
                    if (first[j] <= to && from <= last[j]) {
                        if (n == out.length) {
                            out = Arrays.copyOf(out, out.length * 2);
                        }
                        out[n++] = j;
                    }
                }
            }
        }
        count[0] = n;
        return out;
    }
}
