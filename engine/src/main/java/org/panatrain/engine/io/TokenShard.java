// llm.c token shards: a 256 x int32 little-endian header (magic 20240520, version 1, token count)
// followed by the tokens as uint16. Reading maps the file and checks it whole before use; writing
// goes through a temporary file. Leaves out batching and shuffling (the data loader does them).
package org.panatrain.engine.io;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.channels.FileChannel;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.Objects;

/**
 * A validated, memory-mapped llm.c token shard: every token id is below the vocabulary size
 * the shard was opened for.
 *
 * <pre>{@code
 * try (TokenShard shard = TokenShard.open(Path.of("train_000.bin"), V)) {
 *     shard.requireTokens((long) B * T + 1, "one batch of B*T+1 = " + (B * T + 1));
 *     int[] batch = new int[B * T + 1];   // inputs are batch[0..B*T), targets batch[1..B*T]
 *     shard.read(position, batch);
 * }
 * }</pre>
 */
public final class TokenShard implements AutoCloseable {
    public static final int MAGIC = 20240520;
    public static final int VERSION = 1;
    /** 256 int32 header words. */
    public static final int HEADER_BYTES = 256 * 4;

    private static final ValueLayout.OfInt I32 = ValueLayout.JAVA_INT_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);
    private static final ValueLayout.OfShort U16 = ValueLayout.JAVA_SHORT_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);

    private final Path file;
    private final Arena arena;
    private final MemorySegment tokens; // (count,) uint16
    private final int count;

    private TokenShard(Path file, Arena arena, MemorySegment tokens, int count) {
        this.file = file;
        this.arena = arena;
        this.tokens = tokens;
        this.count = count;
    }

    /** Maps and checks {@code file}; any problem is a {@link BadInputException} naming it. */
    public static TokenShard open(Path file, int vocabSize) {
        // Shared: a data loader may prefetch batches on another thread.
        Arena arena = Arena.ofShared();
        try {
            MemorySegment bytes;
            try (FileChannel channel = FileChannel.open(file, StandardOpenOption.READ)) {
                bytes = channel.map(FileChannel.MapMode.READ_ONLY, 0, channel.size(), arena);
            }
            if (bytes.byteSize() < HEADER_BYTES) {
                throw new BadInputException(file, "file of " + bytes.byteSize() + " bytes is shorter than the "
                        + HEADER_BYTES + "-byte token shard header");
            }
            int magic = bytes.get(I32, 0);
            if (magic != MAGIC) {
                throw new BadInputException(file, "wrong magic " + magic + " (a token shard starts with " + MAGIC + ")");
            }
            int version = bytes.get(I32, 4);
            if (version != VERSION) {
                throw new BadInputException(file, "unsupported token shard version " + version + " (expected " + VERSION + ")");
            }
            int count = bytes.get(I32, 8);
            long expected = HEADER_BYTES + 2L * count;
            if (count < 0 || bytes.byteSize() != expected) {
                throw new BadInputException(file, "file has " + bytes.byteSize() + " bytes but the header says "
                        + count + " tokens, which need " + HEADER_BYTES + " + " + count + " x 2 = " + expected);
            }
            MemorySegment tokens = bytes.asSlice(HEADER_BYTES);
            checkIds(file, tokens, count, vocabSize);
            return new TokenShard(file, arena, tokens, count);
        } catch (IOException e) {
            arena.close();
            throw new UncheckedIOException("cannot read " + file + ": " + e.getMessage(), e);
        } catch (RuntimeException e) {
            arena.close();
            throw e;
        }
    }

    private static void checkIds(Path file, MemorySegment tokens, int count, int vocabSize) {
        if (vocabSize >= 1 << 16) {
            return; // every uint16 is a valid id
        }
        for (long i = 0; i < count; i++) {
            int id = tokens.get(U16, 2 * i) & 0xFFFF;
            if (id >= vocabSize) {
                throw new BadInputException(file, "token id " + id + " at byte offset " + (HEADER_BYTES + 2 * i)
                        + " is not below the vocabulary size " + vocabSize);
            }
        }
    }

    /** The shard's file. */
    public Path file() {
        return file;
    }

    /** Number of tokens in the shard. */
    public int tokenCount() {
        return count;
    }

    /** Token {@code i}. */
    public int token(long i) {
        return tokens.get(U16, 2 * Objects.checkIndex(i, count)) & 0xFFFF;
    }

    /** Tokens [start, start + dst.length) into {@code dst}; allocates nothing. */
    public void read(long start, int[] dst) {
        Objects.checkFromIndexSize(start, dst.length, count);
        for (int i = 0; i < dst.length; i++) {
            dst[i] = tokens.get(U16, 2 * (start + i)) & 0xFFFF;
        }
    }

    /**
     * Throws a {@link BadInputException} unless the shard holds at least {@code n} tokens;
     * {@code why} names that count ("one batch of B*T+1 = 4097").
     */
    public void requireTokens(long n, String why) {
        if (count < n) {
            throw new BadInputException(file, "has " + count + " tokens, fewer than " + why);
        }
    }

    /** Unmaps the file. */
    @Override
    public void close() {
        arena.close();
    }

    /** Writes {@code tokens} (each in [0, 65535]) as a shard, atomically. */
    public static void write(Path file, int[] tokens) {
        ByteBuffer buffer = ByteBuffer.allocate(HEADER_BYTES + 2 * tokens.length).order(ByteOrder.LITTLE_ENDIAN);
        buffer.putInt(0, MAGIC).putInt(4, VERSION).putInt(8, tokens.length).position(HEADER_BYTES);
        for (int i = 0; i < tokens.length; i++) {
            if (tokens[i] < 0 || tokens[i] > 0xFFFF) {
                throw new IllegalArgumentException("token id " + tokens[i] + " at index " + i + " does not fit uint16");
            }
            buffer.putShort((short) tokens[i]);
        }
        buffer.flip();
        AtomicFiles.write(file, channel -> AtomicFiles.writeFully(channel, buffer));
    }
}
