// Reading back what `prepare` wrote: the shard files of each split, in order, from the folder's
// manifest.json, so that `train --data DIR` and `eval --data DIR` take a prepared folder. Checks
// the manifest's format and that every shard it lists exists; the shards themselves are checked
// when they are opened. Leaves out the dropped-document counts (only prepare reports them).
package org.panatrain.engine.prepare;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.panatrain.engine.io.BadInputException;
import org.panatrain.engine.io.Json;

/**
 * A folder written by {@link Prepare#run}.
 *
 * <pre>{@code
 * if (PreparedFolder.isPrepared(dir)) {
 *     List<Path> train = PreparedFolder.read(dir).shards("train");   // dir/train_000000.bin, ...
 * }
 * }</pre>
 *
 * @param directory the folder
 * @param manifest  its parsed manifest.json
 */
public record PreparedFolder(Path directory, Map<?, ?> manifest) {

    /** Whether {@code dir} is a folder with a manifest.json. */
    public static boolean isPrepared(Path dir) {
        return Files.isDirectory(dir) && Files.isRegularFile(dir.resolve(Prepare.MANIFEST));
    }

    /** Reads and checks the manifest of {@code dir}; a BadInputException names what is wrong. */
    public static PreparedFolder read(Path dir) {
        Path file = dir.resolve(Prepare.MANIFEST);
        if (!Files.isRegularFile(file)) {
            throw new BadInputException(dir, "not a prepared folder (no " + Prepare.MANIFEST + "; `panatrain prepare` writes one)");
        }
        String text;
        try {
            text = Files.readString(file, StandardCharsets.UTF_8);
        } catch (IOException e) {
            throw new UncheckedIOException("cannot read " + file + ": " + e.getMessage(), e);
        }
        if (!(Json.parse(file, text) instanceof Map<?, ?> manifest) || !"panatrain-prepare".equals(manifest.get("format"))) {
            throw new BadInputException(file, "not a panatrain-prepare manifest");
        }
        if (!Long.valueOf(1).equals(manifest.get("version"))) {
            throw new BadInputException(file, "manifest version " + manifest.get("version") + " is not the version 1 this Panatrain reads");
        }
        if (!(manifest.get("vocab_size") instanceof Long) || !(manifest.get("tokenizer") instanceof String)) {
            throw new BadInputException(file, "has no vocab_size or tokenizer");
        }
        PreparedFolder folder = new PreparedFolder(dir, manifest);
        for (String split : Prepare.SPLITS) {
            folder.shards(split);
        }
        return folder;
    }

    /** The tokenizer's vocabulary size: every token id is below it. */
    public long vocabSize() {
        return (Long) manifest.get("vocab_size");
    }

    /** The tokenizer's name ("byte", "gpt2-bpe"). */
    public String tokenizer() {
        return (String) manifest.get("tokenizer");
    }

    /** The shard files of {@code split} ("train", "val", "test"), in order; empty when the split is. */
    public List<Path> shards(String split) {
        Path file = directory.resolve(Prepare.MANIFEST);
        if (!(manifest.get("splits") instanceof Map<?, ?> splits) || !(splits.get(split) instanceof Map<?, ?> entry)
                || !(entry.get("shards") instanceof List<?> shards)) {
            throw new BadInputException(file, "has no shard list of the " + split + " split");
        }
        List<Path> files = new ArrayList<>();
        for (Object shard : shards) {
            if (!(shard instanceof Map<?, ?> s) || !(s.get("file") instanceof String name)) {
                throw new BadInputException(file, "a shard of the " + split + " split has no file name");
            }
            Path path = directory.resolve(name);
            if (!Files.isRegularFile(path)) {
                throw new BadInputException(path, "no such file (listed in " + file + ")");
            }
            files.add(path);
        }
        return files;
    }
}
