// The byte-level tokenizer: ids are UTF-8 bytes, round trips, invalid UTF-8, out-of-range ids.
package org.panatrain.engine.io;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import org.junit.jupiter.api.Test;

class ByteTokenizerTest {
    private final ByteTokenizer tok = new ByteTokenizer();

    @Test
    void idsAreTheUtf8Bytes() {
        assertThat(tok.vocabSize()).isEqualTo(256);
        assertThat(tok.encode("1+2=3")).containsExactly(49, 43, 50, 61, 51);
        assertThat(tok.encode("é€")).containsExactly(0xC3, 0xA9, 0xE2, 0x82, 0xAC);
        assertThat(tok.encode("")).isEmpty();
    }

    @Test
    void decodingInvertsEncoding() {
        String text = "Hello, wörld! 12+34=46\n\t\u0000 😀";
        assertThat(tok.decode(tok.encode(text))).isEqualTo(text);
    }

    @Test
    void invalidUtf8BecomesTheReplacementCharacter() {
        assertThat(tok.decode(new int[] {'a', 0xC3, 'b', 0xFF})).isEqualTo("a\uFFFDb\uFFFD");
    }

    @Test
    void idsOutsideTheVocabularyAreRefused() {
        assertThatThrownBy(() -> tok.decode(new int[] {65, 256}))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessage("token id 256 at index 1 is not a byte");
    }
}
