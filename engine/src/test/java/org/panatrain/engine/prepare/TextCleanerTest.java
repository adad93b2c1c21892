// The cleaning rules, one by one, on hand-written inputs with their expected outputs.
package org.panatrain.engine.prepare;

import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.api.Test;

class TextCleanerTest {
    @Test
    void normalizesToNfc() {
        assertThat(TextCleaner.clean("Cafe\u0301")).isEqualTo("Caf\u00e9");
    }

    @Test
    void dropsControlCharactersButKeepsNewlinesAndTabs() {
        assertThat(TextCleaner.clean("a\u0000b\u0007c\u001b[0m\td\ne\u007f\u0085f")).isEqualTo("abc[0m d\nef");
    }

    @Test
    void normalizesLineEndsAndBlankLines() {
        assertThat(TextCleaner.clean("\n\none\r\ntwo\rthree\n\n\n\n\nfour  \n\n")).isEqualTo("one\ntwo\nthree\n\nfour");
    }

    @Test
    void collapsesSpacesInsideLinesButKeepsIndentation() {
        assertThat(TextCleaner.clean("    if (x)\u00a0\u00a0{  y =\t\t1;   }\t \n\tz")).isEqualTo("    if (x) { y = 1; }\n\tz");
        assertThat(TextCleaner.clean("a\u2003\u3000b")).isEqualTo("a b");
    }

    @Test
    void keepsSupplementaryCharacters() {
        assertThat(TextCleaner.clean("emoji 😀  中文")).isEqualTo("emoji 😀 中文");
    }
}
