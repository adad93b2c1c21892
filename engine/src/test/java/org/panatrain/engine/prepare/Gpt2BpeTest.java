// GPT-2 BPE against an independent implementation: token ids produced by the npm package
// gpt-3-encoder (scripts/reference/bpe_reference.js) for ASCII, punctuation, contractions,
// numbers, whitespace runs, accents, CJK and emoji, with OpenAI's GPT-2 vocabulary and merges.
package org.panatrain.engine.prepare;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.panatrain.engine.io.BadInputException;
import org.panatrain.engine.io.Json;

class Gpt2BpeTest {
    private static Path dir;
    private static Gpt2Bpe bpe;

    @BeforeAll
    static void load() throws Exception {
        dir = Path.of(Gpt2BpeTest.class.getResource("/gpt2-bpe/vocab.json").toURI()).getParent();
        bpe = Gpt2Bpe.load(dir.resolve("vocab.json"), dir.resolve("merges.txt"));
    }

    @Test
    void encodesAsTheReferenceImplementation() throws Exception {
        Path file = dir.resolve("reference_ids.json");
        List<?> cases = (List<?>) Json.parse(file, Files.readString(file));
        assertThat(cases).hasSizeGreaterThanOrEqualTo(20);
        for (Object c : cases) {
            Map<?, ?> m = (Map<?, ?>) c;
            String text = (String) m.get("text");
            int[] expected = ((List<?>) m.get("ids")).stream().mapToInt(id -> ((Long) id).intValue()).toArray();
            assertThat(bpe.encode(text)).as("ids of %s", Json.quote(text)).containsExactly(expected);
            assertThat(bpe.encode(text)).as("cached ids of %s", Json.quote(text)).containsExactly(expected);
            assertThat(bpe.decode(expected)).isEqualTo(text);
        }
    }

    @Test
    void knowsGpt2sSizes() {
        assertThat(bpe.vocabSize()).isEqualTo(50257);
        assertThat(bpe.endOfText()).isEqualTo(50256);
        assertThat(bpe.encode("")).isEmpty();
    }

    @Test
    void refusesAVocabularyWithoutEndOfText(@TempDir Path tmp) throws Exception {
        Path vocab = tmp.resolve("vocab.json");
        Files.writeString(vocab, "{\"a\": 0}");
        assertThatThrownBy(() -> Gpt2Bpe.load(vocab, dir.resolve("merges.txt")))
                .isInstanceOf(BadInputException.class).hasMessageContaining("vocab.json").hasMessageContaining("<|endoftext|>");
    }
}
