// Writes one split's tokens as llm.c shards "<split>_NNNNNN.bin" of at most shardTokens tokens
// each; documents run on across shard boundaries, as llm.c's scripts do. Leaves out compression.
package org.panatrain.engine.prepare;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.panatrain.engine.io.TokenShard;

/** Buffers a split's tokens and writes full shards as they fill. */
final class ShardWriter {
    private final Path directory;
    private final String split;
    private final int shardTokens;
    private int[] buffer; // (up to shardTokens), grown as needed: small splits stay small
    private int filled;
    private long documents;
    private long documentTokens;
    private final List<Map<String, Object>> shards = new ArrayList<>();

    ShardWriter(Path directory, String split, int shardTokens) {
        this.directory = directory;
        this.split = split;
        this.shardTokens = shardTokens;
        this.buffer = new int[Math.min(shardTokens, 1 << 16)];
    }

    /** Appends the end-of-text id and then the document's ids. */
    void addDocument(int endOfText, int[] ids) {
        put(endOfText);
        for (int id : ids) {
            put(id);
        }
        documents++;
        documentTokens += ids.length;
    }

    private void put(int id) {
        if (filled == buffer.length) {
            buffer = Arrays.copyOf(buffer, (int) Math.min(shardTokens, 2L * buffer.length));
        }
        buffer[filled++] = id;
        if (filled == shardTokens) {
            flush();
        }
    }

    private void flush() {
        if (filled == 0) {
            return;
        }
        String name = String.format("%s_%06d.bin", split, shards.size());
        TokenShard.write(directory.resolve(name), Arrays.copyOf(buffer, filled));
        Map<String, Object> shard = new LinkedHashMap<>();
        shard.put("file", name);
        shard.put("tokens", (long) filled);
        shards.add(shard);
        filled = 0;
    }

    /** Writes the last, partial shard; returns the split's manifest entry. */
    Map<String, Object> finish() {
        flush();
        Map<String, Object> entry = new LinkedHashMap<>();
        entry.put("documents", documents);
        entry.put("tokens", documentTokens);
        entry.put("tokens_with_separators", documentTokens + documents);
        entry.put("shards", shards);
        return entry;
    }
}
