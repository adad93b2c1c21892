// The byte-level tokenizer: a token is one byte of the UTF-8 text, so the vocabulary is 256 and
// every text round-trips. Leaves out BPE merges (GPT-2's tokenizer is a separate concern).
package org.panatrain.engine.io;

import java.nio.charset.StandardCharsets;

/**
 * Text to byte ids and back.
 *
 * <pre>{@code
 * ByteTokenizer tok = new ByteTokenizer();
 * int[] ids = tok.encode("1+2=3");       // {49, 43, 50, 61, 51}
 * String text = tok.decode(ids);         // "1+2=3"
 * }</pre>
 */
public final class ByteTokenizer {
    /** The vocabulary size V: one id per byte value. */
    public int vocabSize() {
        return 256;
    }

    /** The UTF-8 bytes of {@code text}, each as an id in [0, 256). */
    public int[] encode(String text) {
        byte[] bytes = text.getBytes(StandardCharsets.UTF_8);
        int[] ids = new int[bytes.length];
        for (int i = 0; i < bytes.length; i++) {
            ids[i] = bytes[i] & 0xFF;
        }
        return ids;
    }

    /** The text whose UTF-8 bytes are {@code ids}; malformed sequences become U+FFFD. */
    public String decode(int[] ids) {
        byte[] bytes = new byte[ids.length];
        for (int i = 0; i < ids.length; i++) {
            if (ids[i] < 0 || ids[i] >= 256) {
                throw new IllegalArgumentException("token id " + ids[i] + " at index " + i + " is not a byte");
            }
            bytes[i] = (byte) ids[i];
        }
        return new String(bytes, StandardCharsets.UTF_8);
    }
}
