// What prepare needs of a tokenizer: text to ids, the vocabulary size and the end-of-text id that
// separates documents in a shard. Leaves out decoding (each tokenizer offers its own).
package org.panatrain.engine.prepare;

import org.panatrain.engine.io.ByteTokenizer;

/**
 * A tokenizer for {@code prepare}.
 *
 * <pre>{@code
 * Tokenizer tok = Tokenizer.bytes();
 * int[] ids = tok.encode("hi");   // {104, 105}; documents are separated by tok.endOfText() = 0
 * }</pre>
 */
public interface Tokenizer {
    /** The ids of {@code text}. */
    int[] encode(String text);

    /** V: every id is below it. */
    int vocabSize();

    /** The id written before each document. */
    int endOfText();

    /** The name the manifest records ("byte", "gpt2-bpe"). */
    String name();

    /**
     * The byte-level tokenizer: ids are UTF-8 bytes, V = 256. The end-of-text id is 0, the NUL
     * byte, which the cleaner drops (a control character), so it never occurs inside a document.
     */
    static Tokenizer bytes() {
        ByteTokenizer bytes = new ByteTokenizer();
        return new Tokenizer() {
            @Override
            public int[] encode(String text) {
                return bytes.encode(text);
            }

            @Override
            public int vocabSize() {
                return bytes.vocabSize();
            }

            @Override
            public int endOfText() {
                return 0;
            }

            @Override
            public String name() {
                return "byte";
            }
        };
    }
}
