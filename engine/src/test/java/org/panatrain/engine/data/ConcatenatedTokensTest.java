// Concatenated sources read as one: windows inside a part, across parts and across empty parts
// equal the same windows of the joined array written out here.
package org.panatrain.engine.data;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.Arrays;
import java.util.List;
import java.util.stream.IntStream;
import org.junit.jupiter.api.Test;

class ConcatenatedTokensTest {

    @Test
    void everyWindowEqualsTheJoinedArray() {
        int[] joined = IntStream.range(100, 123).toArray(); // parts of 5, 0, 1, 10, 0, 7 tokens
        List<TokenSource> parts = List.of(part(joined, 0, 5), part(joined, 5, 5), part(joined, 5, 6),
                part(joined, 6, 16), part(joined, 16, 16), part(joined, 16, 23));
        TokenSource all = ConcatenatedTokens.of(parts, "all");
        assertThat(all.length()).isEqualTo(23);
        assertThat(all.name()).isEqualTo("all");
        for (int length = 1; length <= 23; length++) {
            for (int start = 0; start + length <= 23; start++) {
                int[] window = new int[length];
                all.read(start, window);
                assertThat(window).as("[%d, %d)", start, start + length)
                        .containsExactly(Arrays.copyOfRange(joined, start, start + length));
            }
        }
    }

    @Test
    void onePartIsItself() {
        TokenSource one = TokenSource.of(new int[] {1, 2}, "one");
        assertThat(ConcatenatedTokens.of(List.of(one), "x")).isSameAs(one);
    }

    private static TokenSource part(int[] joined, int from, int to) {
        return TokenSource.of(Arrays.copyOfRange(joined, from, to), from + ".." + to);
    }
}
