// Batches read B*T+1 consecutive tokens, targets shifted by one, position advancing by B*T and
// wrapping when fewer than B*T+1 tokens are left (DESIGN.md).
package org.panatrain.engine.train;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.stream.IntStream;
import org.junit.jupiter.api.Test;
import org.panatrain.engine.data.ShardLoader;
import org.panatrain.engine.data.TokenSource;

class BatchReaderTest {

    @Test
    void readsConsecutiveWindowsAndWraps() {
        int[] tokens = IntStream.range(0, 20).toArray();
        BatchReader reader = new BatchReader(TokenSource.of(tokens, "t"), 2, 3); // 7 tokens per batch, advance 6
        int[] in = new int[6];
        int[] tg = new int[6];
        reader.next(in, tg);
        assertThat(in).containsExactly(0, 1, 2, 3, 4, 5);
        assertThat(tg).containsExactly(1, 2, 3, 4, 5, 6);
        reader.next(in, tg);
        assertThat(in).containsExactly(6, 7, 8, 9, 10, 11);
        reader.next(in, tg);
        assertThat(in).containsExactly(12, 13, 14, 15, 16, 17);
        assertThat(tg).containsExactly(13, 14, 15, 16, 17, 18);
        assertThat(reader.position()).isEqualTo(new ShardLoader.Position(1, 0, 0)); // at 18 the pass is over
        reader.next(in, tg); // position 18: 18 + 7 > 20 -> wraps to 0
        assertThat(in).containsExactly(0, 1, 2, 3, 4, 5);
        assertThat(reader.position()).isEqualTo(new ShardLoader.Position(1, 0, 6));
        assertThat(reader.batchesPerPass()).isEqualTo(3);
    }

    @Test
    void countsEpochsAndContinuesFromASeek() {
        int[] tokens = IntStream.range(0, 20).toArray();
        BatchReader first = new BatchReader(TokenSource.of(tokens, "t"), 2, 3);
        int[] in = new int[6];
        int[] tg = new int[6];
        for (int i = 0; i < 4; i++) {
            first.next(in, tg); // the 4th wraps
        }
        assertThat(first.position()).isEqualTo(new ShardLoader.Position(1, 0, 6));
        BatchReader resumed = new BatchReader(TokenSource.of(tokens, "t"), 2, 3);
        resumed.seek(first.position());
        resumed.next(in, tg);
        assertThat(in).containsExactly(6, 7, 8, 9, 10, 11);
        assertThat(resumed.position()).isEqualTo(new ShardLoader.Position(1, 0, 12));
        assertThatThrownBy(() -> resumed.seek(new ShardLoader.Position(0, 0, 21)))
                .hasMessageContaining("outside t (one shard of 20 tokens)");
        assertThatThrownBy(() -> resumed.seek(new ShardLoader.Position(0, 1, 0))).hasMessageContaining("outside t");
    }

    @Test
    void refusesASourceShorterThanOneBatch() {
        assertThatThrownBy(() -> new BatchReader(TokenSource.of(new int[6], "short"), 2, 3))
                .hasMessageContaining("short").hasMessageContaining("7");
    }
}
