// Several token sources read as one sequence, in order: the shards of one split of a prepared
// folder (documents run on across shard boundaries, so joining them is the split's text).
// Leaves out shuffling the order of the parts.
package org.panatrain.engine.data;

import java.util.Arrays;
import java.util.List;

/**
 * The concatenation of {@code parts}.
 *
 * <pre>{@code
 * TokenSource all = ConcatenatedTokens.of(List.of(TokenSource.of(new int[] {1, 2}, "a"),
 *         TokenSource.of(new int[] {3}, "b")), "a+b");
 * int[] window = new int[2];
 * all.read(1, window);   // {2, 3}
 * }</pre>
 */
public final class ConcatenatedTokens implements TokenSource {
    private final List<TokenSource> parts;
    private final long[] starts; // (parts + 1) the first position of each part, then the total length
    private final String name;

    private ConcatenatedTokens(List<TokenSource> parts, String name) {
        this.parts = List.copyOf(parts);
        this.starts = new long[parts.size() + 1];
        for (int i = 0; i < parts.size(); i++) {
            starts[i + 1] = starts[i] + parts.get(i).length();
        }
        this.name = name;
    }

    /** The parts joined; a single part is returned as it is. */
    public static TokenSource of(List<TokenSource> parts, String name) {
        if (parts.isEmpty()) {
            throw new IllegalArgumentException("nothing to concatenate for " + name);
        }
        return parts.size() == 1 ? parts.getFirst() : new ConcatenatedTokens(parts, name);
    }

    @Override
    public long length() {
        return starts[parts.size()];
    }

    @Override
    public void read(long start, int[] dst) {
        int part = Arrays.binarySearch(starts, start);
        part = part >= 0 ? part : -part - 2; // the part holding position start
        int done = 0;
        while (done < dst.length) {
            while (starts[part + 1] == start + done) {
                part++; // skips empty parts too
            }
            long offset = start + done - starts[part];
            int n = (int) Math.min(dst.length - done, parts.get(part).length() - offset);
            if (done == 0 && n == dst.length) {
                parts.get(part).read(offset, dst);
                return;
            }
            int[] piece = new int[n];
            parts.get(part).read(offset, piece);
            System.arraycopy(piece, 0, dst, done, n);
            done += n;
        }
    }

    @Override
    public String name() {
        return name;
    }
}
