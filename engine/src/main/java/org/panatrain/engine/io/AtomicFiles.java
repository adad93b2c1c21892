// Writing a file so that readers see either the old file or the complete new one: write
// "<file>.tmp", fsync it, rename it over the file. Leaves out fsyncing the directory.
package org.panatrain.engine.io;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.lang.foreign.MemorySegment;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;

/** Temp-file-and-rename writes, shared by the safetensors and token shard writers. */
final class AtomicFiles {
    private AtomicFiles() {
    }

    /** What writes the content of the file, given the channel of the temporary file. */
    interface Content {
        void writeTo(FileChannel channel) throws IOException;
    }

    /** ByteBuffers address at most 2 GiB; larger segments go out in pieces of this many bytes. */
    private static final long PIECE = 1L << 30;

    /** Writes {@code content} to {@code file} atomically; on failure the temporary file is removed. */
    static void write(Path file, Content content) {
        Path tmp = file.resolveSibling(file.getFileName() + ".tmp");
        try {
            try (FileChannel channel = FileChannel.open(tmp, StandardOpenOption.CREATE,
                    StandardOpenOption.TRUNCATE_EXISTING, StandardOpenOption.WRITE)) {
                content.writeTo(channel);
                channel.force(true);
            }
            Files.move(tmp, file, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
        } catch (IOException e) {
            try {
                Files.deleteIfExists(tmp);
            } catch (IOException suppressed) {
                e.addSuppressed(suppressed);
            }
            throw new UncheckedIOException("cannot write " + file + ": " + e.getMessage(), e);
        }
    }

    /** Writes all bytes of {@code segment} at the channel's position. */
    static void writeFully(FileChannel channel, MemorySegment segment) throws IOException {
        for (long at = 0; at < segment.byteSize(); at += PIECE) {
            writeFully(channel, segment.asSlice(at, Math.min(PIECE, segment.byteSize() - at)).asByteBuffer());
        }
    }

    static void writeFully(FileChannel channel, ByteBuffer buffer) throws IOException {
        while (buffer.hasRemaining()) {
            channel.write(buffer);
        }
    }
}
