// The prefetching shard loader against batches the test cuts itself from the token arrays it
// wrote: one shard and several (shard order per epoch from Collections.shuffle with
// Random(seed + epoch), as the loader documents), rank slices, position save/restore, bad and
// truncated files, the wait counters, and the host path kept on the CPU backend.
package org.panatrain.engine.data;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.IOException;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.Collections;
import java.util.HashSet;
import java.util.List;
import java.util.Random;
import java.util.Set;
import java.util.stream.IntStream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.panatrain.engine.io.BadInputException;
import org.panatrain.engine.io.TokenShard;
import org.panatrain.kernels.cpu.CpuKernels;
import org.panatrain.memory.DType;
import org.panatrain.memory.Tensor;

class ShardLoaderTest {
    private static final int V = 1000;
    private static final int B = 2;
    private static final int T = 8;
    private static final int BT = B * T;
    private static final long SEED = 42;

    @TempDir
    Path dir;

    /** One batch: inputs and targets, compared as a string so that lists of them compare by value. */
    record Batch(String inputs, String targets) {
        static Batch of(int[] inputs, int[] targets) {
            return new Batch(java.util.Arrays.toString(inputs), java.util.Arrays.toString(targets));
        }
    }

    /** Tokens of shard s: distinct per shard and position (while below V). */
    private static int[] tokens(int s, int n) {
        return IntStream.range(0, n).map(i -> (s * 311 + i * 7) % V).toArray();
    }

    private List<Path> write(int... lengths) {
        List<Path> files = new ArrayList<>();
        for (int s = 0; s < lengths.length; s++) {
            Path f = dir.resolve("shard_" + s + ".bin");
            TokenShard.write(f, tokens(s, lengths[s]));
            files.add(f);
        }
        return files;
    }

    /** The batches of one shard in file order, cut from its token array. */
    private static List<Batch> sequential(int[] t) {
        List<Batch> out = new ArrayList<>();
        for (int start = 0; start + BT + 1 <= t.length; start += BT) {
            int[] in = new int[BT];
            int[] tg = new int[BT];
            System.arraycopy(t, start, in, 0, BT);
            System.arraycopy(t, start + 1, tg, 0, BT);
            out.add(Batch.of(in, tg));
        }
        return out;
    }

    /** Epoch e of shards with these lengths: the shard order Collections.shuffle gives with Random(SEED + e). */
    private static List<Batch> epoch(int[] lengths, long e) {
        List<Integer> order = new ArrayList<>(IntStream.range(0, lengths.length).boxed().toList());
        Collections.shuffle(order, new Random(SEED + e));
        List<Batch> out = new ArrayList<>();
        for (int s : order) {
            out.addAll(sequential(tokens(s, lengths[s])));
        }
        return out;
    }

    private static List<Batch> read(ShardLoader loader, int n) {
        List<Batch> out = new ArrayList<>();
        int[] in = new int[BT];
        int[] tg = new int[BT];
        for (int i = 0; i < n; i++) {
            loader.next(in, tg);
            out.add(Batch.of(in, tg));
        }
        return out;
    }

    @Test
    void oneShardGivesTheSequentialBatchesEpochAfterEpoch() {
        int[] lengths = {1000};
        List<Batch> epoch = sequential(tokens(0, 1000));
        assertThat(epoch).hasSize(62); // (1000 - 1) / 16
        try (ShardLoader loader = ShardLoader.open(write(lengths), V, B, T, SEED, 0, 1)) {
            assertThat(loader.batchesPerEpoch()).isEqualTo(62);
            List<Batch> got = read(loader, 130);
            for (int i = 0; i < got.size(); i++) {
                assertThat(got.get(i)).as("batch %d", i).isEqualTo(epoch.get(i % 62));
            }
        }
    }

    @Test
    void severalShardsAreVisitedInTheSeededShuffledOrderOfEachEpoch() {
        int[] lengths = {200, 333, 17 * BT + 1, 500};
        List<Batch> expected = new ArrayList<>();
        for (long e = 0; e < 3; e++) {
            expected.addAll(epoch(lengths, e));
        }
        assertThat(epoch(lengths, 0)).isNotEqualTo(epoch(lengths, 1)); // the order changes between epochs
        try (ShardLoader loader = ShardLoader.open(write(lengths), V, B, T, SEED, 0, 1)) {
            assertThat(loader.batchesPerEpoch()).isEqualTo(12 + 20 + 17 + 31);
            assertThat(read(loader, expected.size())).isEqualTo(expected);
        }
    }

    @Test
    void rankSlicesPartitionTheBatchesOfAnEpoch() {
        int[] lengths = {200, 333, 500};
        List<Path> files = write(lengths);
        List<Batch> epoch = epoch(lengths, 0);  // 63 batches: 21 per rank of 3
        int world = 3;
        Set<Batch> seen = new HashSet<>();
        for (int r = 0; r < world; r++) {
            try (ShardLoader loader = ShardLoader.open(files, V, B, T, SEED, r, world)) {
                assertThat(loader.batchesPerEpoch()).isEqualTo(21);
                List<Batch> mine = read(loader, 21);
                for (int k = 0; k < mine.size(); k++) {
                    assertThat(mine.get(k)).isEqualTo(epoch.get(r + k * world));
                    assertThat(seen.add(mine.get(k))).as("batch %d of rank %d read twice", k, r).isTrue();
                }
                assertThat(read(loader, 1).getFirst()).isEqualTo(epoch(lengths, 1).get(r)); // next epoch
            }
        }
        assertThat(seen).containsExactlyInAnyOrderElementsOf(epoch.subList(0, 63));

        try (ShardLoader two = ShardLoader.open(files, V, B, T, SEED, 1, 2)) { // 63 = 2 x 31 + 1 skipped
            assertThat(two.batchesPerEpoch()).isEqualTo(31);
            List<Batch> mine = read(two, 32);
            assertThat(mine.get(30)).isEqualTo(epoch.get(61));
            assertThat(mine.get(31)).isEqualTo(epoch(lengths, 1).get(1));
        }
    }

    @Test
    void aSavedPositionContinuesIdentically() {
        int[] lengths = {200, 333, 500};
        List<Path> files = write(lengths);
        for (int rank = 0; rank < 2; rank++) {
            List<Batch> all;
            List<ShardLoader.Position> positions = new ArrayList<>();
            try (ShardLoader loader = ShardLoader.open(files, V, B, T, SEED, rank, 2)) {
                all = new ArrayList<>();
                for (int i = 0; i < 80; i++) { // 31 per epoch: crosses two epoch ends
                    positions.add(loader.position());
                    all.addAll(read(loader, 1));
                }
            }
            for (int at : new int[] {0, 7, 30, 31, 45, 62}) {
                try (ShardLoader resumed = ShardLoader.open(files, V, B, T, SEED, rank, 2)) {
                    resumed.seek(positions.get(at));
                    assertThat(resumed.position()).isEqualTo(positions.get(at));
                    assertThat(read(resumed, 15)).as("resumed at %d", at).isEqualTo(all.subList(at, at + 15));
                }
            }
            ShardLoader.Position p = positions.get(33);
            assertThat(p.epoch()).isEqualTo(1);
            try (ShardLoader other = ShardLoader.open(files, V, B, T, SEED, 1 - rank, 2)) {
                assertThatThrownBy(() -> other.seek(p)).isInstanceOf(IllegalArgumentException.class)
                        .hasMessageContaining("rank " + (1 - rank));
            }
        }
    }

    @Test
    void aPositionIsEpochShardInOrderAndTokenOffset() {
        int[] lengths = {200, 333};
        List<Integer> order = new ArrayList<>(List.of(0, 1));
        Collections.shuffle(order, new Random(SEED));
        int firstBatches = (lengths[order.getFirst()] - 1) / BT;
        try (ShardLoader loader = ShardLoader.open(write(lengths), V, B, T, SEED, 0, 1)) {
            assertThat(loader.position()).isEqualTo(new ShardLoader.Position(0, 0, 0));
            read(loader, firstBatches - 1);
            assertThat(loader.position()).isEqualTo(new ShardLoader.Position(0, 0, (long) (firstBatches - 1) * BT));
            read(loader, 1);
            assertThat(loader.position()).isEqualTo(new ShardLoader.Position(0, 1, 0));
        }
    }

    @Test
    void aShortOrTruncatedShardIsOneLineNamingTheFile() throws IOException {
        List<Path> files = write(300, 300);
        Path truncated = files.get(1);
        try (FileChannel ch = FileChannel.open(truncated, StandardOpenOption.WRITE)) {
            ch.truncate(TokenShard.HEADER_BYTES + 100);
        }
        assertThatThrownBy(() -> ShardLoader.open(files, V, B, T, SEED, 0, 1))
                .isInstanceOf(BadInputException.class)
                .hasMessageStartingWith(truncated + ": ")
                .satisfies(e -> assertThat(e.getMessage()).doesNotContain("\n"));

        List<Path> small = write(BT);
        assertThatThrownBy(() -> ShardLoader.open(small, V, B, T, SEED, 0, 1))
                .isInstanceOf(BadInputException.class)
                .hasMessage(small.getFirst() + ": has 16 tokens, fewer than one batch of B*T+1 = 17");
    }

    @Test
    void aShardTruncatedWhileLoadingFailsTheNextBatchWithTheFileAndTheCause() throws IOException {
        Path file = write(4000).getFirst(); // 249 batches: the loader stops K ahead
        try (ShardLoader loader = ShardLoader.open(List.of(file), V, B, T, SEED, 0, 1)) {
            read(loader, 1);
            try (FileChannel ch = FileChannel.open(file, StandardOpenOption.WRITE)) {
                ch.truncate(0);
            }
            assertThatThrownBy(() -> read(loader, ShardLoader.prefetchDepth() + 2))
                    .isInstanceOf(BadInputException.class)
                    .hasMessageStartingWith(file + ": reading a batch failed (")
                    .hasCauseInstanceOf(InternalError.class)
                    .satisfies(e -> assertThat(e.getMessage()).doesNotContain("\n"));
        }
    }

    @Test
    void waitTimeIsCountedPerCallAndInTotal() throws InterruptedException {
        List<Path> files = write(1000);
        try (ShardLoader loader = ShardLoader.open(files, V, B, T, SEED, 0, 1)) {
            int[] in = new int[BT];
            int[] tg = new int[BT];
            long sum = 0;
            for (int i = 0; i < 40; i++) {
                if (i % 10 == 5) {
                    Thread.sleep(5); // a slow consumer: the loader gets ahead
                }
                loader.next(in, tg);
                assertThat(loader.lastWaitNanos()).isNotNegative();
                sum += loader.lastWaitNanos();
            }
            assertThat(loader.batchesServed()).isEqualTo(40);
            assertThat(loader.waitNanos()).isEqualTo(sum);
        }
    }

    @Test
    void onTheCpuBackendTheLoaderKeepsItsBatchesOnTheHost() {
        List<Path> files = write(1000);
        List<TokenShard> shards = files.stream().map(f -> TokenShard.open(f, V)).toList();
        try (CpuKernels cpu = CpuKernels.create(1);
             ShardLoader loader = ShardLoader.over(shards, B, T, SEED, 0, 1, cpu)) {
            assertThat(loader.stagesOnDevice()).isFalse();
            assertThat(read(loader, 3)).isEqualTo(sequential(tokens(0, 1000)).subList(0, 3));
            Tensor t = Tensor.host(java.lang.foreign.Arena.ofAuto().allocate(4L * BT), DType.INT32, BT);
            assertThatThrownBy(() -> loader.next(t, t)).isInstanceOf(IllegalStateException.class)
                    .hasMessageContaining("next(int[], int[])");
        } finally {
            shards.forEach(TokenShard::close);
        }
    }

    @Test
    void aPrefetchDepthBelowOneIsRefused() {
        List<Path> files = write(300);
        System.setProperty("panatrain.loader.prefetch", "0");
        try {
            assertThatThrownBy(() -> ShardLoader.open(files, V, B, T, SEED, 0, 1))
                    .hasMessageContaining("panatrain.loader.prefetch");
        } finally {
            System.clearProperty("panatrain.loader.prefetch");
        }
    }
}
