// llm.c token shards: reading a shard built byte by byte from the format's definition, writing
// the same bytes, and every bad-input case (each error names the file and the problem).
package org.panatrain.engine.io;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class TokenShardTest {
    @TempDir
    Path dir;

    /** A shard as llm.c writes it: int32 header words (magic, version, count, 0...) then uint16 ids. */
    private Path shard(int magic, int version, int count, int[] tokens, int extraBytes) throws IOException {
        ByteBuffer b = ByteBuffer.allocate(1024 + 2 * tokens.length + extraBytes).order(ByteOrder.LITTLE_ENDIAN);
        b.putInt(magic).putInt(version).putInt(count).position(1024);
        for (int t : tokens) {
            b.putShort((short) t);
        }
        Path f = dir.resolve("shard.bin");
        Files.write(f, b.array());
        return f;
    }

    private static final int[] TOKENS = {0, 1, 255, 50256, 65535, 7, 300};

    private static void assertRejected(Path f, int vocabSize, String problem) {
        assertThatThrownBy(() -> TokenShard.open(f, vocabSize).close())
                .isInstanceOf(BadInputException.class)
                .hasMessageStartingWith(f + ": ")
                .hasMessageContaining(problem);
    }

    @Test
    void readsAShardBuiltFromTheFormatDefinition() throws IOException {
        Path f = shard(20240520, 1, TOKENS.length, TOKENS, 0);
        try (TokenShard s = TokenShard.open(f, 65536)) {
            assertThat(s.tokenCount()).isEqualTo(TOKENS.length);
            for (int i = 0; i < TOKENS.length; i++) {
                assertThat(s.token(i)).isEqualTo(TOKENS[i]);
            }
            int[] window = new int[3];
            s.read(2, window);
            assertThat(window).containsExactly(255, 50256, 65535);
            assertThatThrownBy(() -> s.read(5, window)).isInstanceOf(IndexOutOfBoundsException.class);
            assertThatThrownBy(() -> s.token(TOKENS.length)).isInstanceOf(IndexOutOfBoundsException.class);
        }
    }

    @Test
    void writesExactlyTheBytesOfTheFormat() throws IOException {
        byte[] want = Files.readAllBytes(shard(20240520, 1, TOKENS.length, TOKENS, 0));
        Path f = dir.resolve("written.bin");
        TokenShard.write(f, TOKENS);
        assertThat(Files.readAllBytes(f)).isEqualTo(want);
        assertThat(Files.exists(dir.resolve("written.bin.tmp"))).isFalse();
        assertThatThrownBy(() -> TokenShard.write(f, new int[] {1, 65536}))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessage("token id 65536 at index 1 does not fit uint16");
        assertThatThrownBy(() -> TokenShard.write(f, new int[] {-1})).isInstanceOf(IllegalArgumentException.class);
    }

    @Test
    void fileShorterThanTheHeader() throws IOException {
        Path f = dir.resolve("tiny.bin");
        Files.write(f, new byte[100]);
        assertRejected(f, 256, "file of 100 bytes is shorter than the 1024-byte token shard header");
    }

    @Test
    void wrongMagic() throws IOException {
        assertRejected(shard(20240521, 1, TOKENS.length, TOKENS, 0), 65536, "wrong magic 20240521 (a token shard starts with 20240520)");
    }

    @Test
    void wrongVersion() throws IOException {
        assertRejected(shard(20240520, 2, TOKENS.length, TOKENS, 0), 65536, "unsupported token shard version 2 (expected 1)");
    }

    @Test
    void fileSizeThatIsNotHeaderPlusTwiceTheCount() throws IOException {
        assertRejected(shard(20240520, 1, TOKENS.length, TOKENS, 1), 65536,
                "file has 1039 bytes but the header says 7 tokens, which need 1024 + 7 x 2 = 1038");
        assertRejected(shard(20240520, 1, TOKENS.length + 1, TOKENS, 0), 65536,
                "file has 1038 bytes but the header says 8 tokens");
        assertRejected(shard(20240520, 1, -1, TOKENS, 0), 65536, "the header says -1 tokens");
    }

    @Test
    void tokenIdNotBelowTheVocabularySize() throws IOException {
        assertRejected(shard(20240520, 1, TOKENS.length, TOKENS, 0), 50257,
                "token id 65535 at byte offset 1032 is not below the vocabulary size 50257");
        assertRejected(shard(20240520, 1, TOKENS.length, TOKENS, 0), 256,
                "token id 50256 at byte offset 1030 is not below the vocabulary size 256");
    }

    @Test
    void fewerTokensThanOneBatch() throws IOException {
        Path f = dir.resolve("small.bin");
        TokenShard.write(f, new int[1000]);
        try (TokenShard s = TokenShard.open(f, 256)) {
            s.requireTokens(1000, "anything");
            assertThatThrownBy(() -> s.requireTokens(4097, "one batch of B*T+1 = 4097"))
                    .isInstanceOf(BadInputException.class)
                    .hasMessage(f + ": has 1000 tokens, fewer than one batch of B*T+1 = 4097");
        }
    }
}
