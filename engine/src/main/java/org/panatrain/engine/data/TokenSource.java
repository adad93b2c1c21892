// A finite sequence of token ids that training and evaluation read windows of: an in-memory array
// (the built-in corpus), a token shard file, or the synthetic stream. Leaves out streaming from
// many files; one source is one sequence.
package org.panatrain.engine.data;

/**
 * Tokens at positions [0, length()).
 *
 * <pre>{@code
 * TokenSource src = TokenSource.of(new int[] {1, 2, 3}, "example");
 * int[] window = new int[2];
 * src.read(1, window);   // {2, 3}
 * }</pre>
 */
public interface TokenSource {

    /** Number of tokens. */
    long length();

    /** Copies tokens [start, start + dst.length) into dst; the range lies inside [0, length()). */
    void read(long start, int[] dst);

    /** What this source is, for messages (a file name, "built-in", "synthetic"). */
    String name();

    /** A source over an array (not copied). */
    static TokenSource of(int[] tokens, String name) {
        return new TokenSource() {
            @Override
            public long length() {
                return tokens.length;
            }

            @Override
            public void read(long start, int[] dst) {
                System.arraycopy(tokens, Math.toIntExact(start), dst, 0, dst.length);
            }

            @Override
            public String name() {
                return name;
            }
        };
    }
}
