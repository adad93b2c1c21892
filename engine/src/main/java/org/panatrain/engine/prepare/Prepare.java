// The prepare pipeline: input files -> clean -> documents -> drop too short -> drop exact
// duplicates (SHA-256 of the cleaned text) -> drop near duplicates (MinHash LSH) -> tokenize ->
// assign a split -> llm.c shards, then manifest.json with every count. A document's split depends
// only on its text and the seed (a hash of both against the fractions), so it does not move when
// other files are added; small corpora may thus leave a split empty (the manifest shows it).
// Files are processed in path order; a file that is not UTF-8 is skipped with a warning.
// Leaves out parallelism (one thread) and resuming an interrupted run.
package org.panatrain.engine.prepare;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.ByteBuffer;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.function.Consumer;
import java.util.stream.Stream;
import org.panatrain.engine.io.BadInputException;
import org.panatrain.engine.io.Json;

/**
 * Turns text into train/val/test token shards.
 *
 * <pre>{@code
 * Map<String, Object> manifest = Prepare.run(
 *         PrepareConfig.defaults(List.of(Path.of("books/")), Path.of("data/"), Tokenizer.bytes()),
 *         System.err::println);   // warnings; writes data/train_000000.bin, ..., data/manifest.json
 * }</pre>
 */
public final class Prepare {
    public static final String MANIFEST = "manifest.json";
    static final List<String> SPLITS = List.of("train", "val", "test");

    private Prepare() {
    }

    /** A 128-bit digest of a document's cleaned text. */
    private record Digest(long high, long low) {
    }

    /** Documents and their tokens dropped for one reason. */
    private static final class Dropped {
        long documents;
        long tokens;

        void add(int[] ids) {
            documents++;
            tokens += ids.length;
        }

        Map<String, Object> json() {
            return Map.of("documents", documents, "tokens", tokens);
        }
    }

    /** Runs the pipeline; returns the manifest it wrote. Warnings go to {@code warnings}. */
    public static Map<String, Object> run(PrepareConfig config, Consumer<String> warnings) {
        List<Path> files = inputFiles(config.inputs());
        long totalBytes = 0;
        for (Path f : files) {
            totalBytes += size(f);
        }
        createDirectories(config.output());
        Tokenizer tokenizer = config.tokenizer();
        Map<String, ShardWriter> writers = new LinkedHashMap<>();
        for (String split : SPLITS) {
            writers.put(split, new ShardWriter(config.output(), split, config.shardTokens()));
        }
        Dropped tooShort = new Dropped();
        Dropped exact = new Dropped();
        Dropped near = new Dropped();
        Set<Digest> seen = new HashSet<>();
        NearDuplicateIndex index = new NearDuplicateIndex(config.nearDuplicateThreshold());
        List<String> notUtf8 = new ArrayList<>();
        long documents = 0;
        long bytesDone = 0;
        ProgressBar bar = ProgressBar.onStderr("prepare", totalBytes);
        for (Path file : files) {
            byte[] bytes = readBytes(file);
            String text = decodeUtf8(bytes);
            if (text == null) {
                warnings.accept("prepare: skipping " + file + ": not UTF-8 text");
                notUtf8.add(file.toString());
            } else {
                for (String doc : Documents.split(TextCleaner.clean(text), config.paragraphs())) {
                    documents++;
                    Digest digest = digest(doc);
                    if (doc.codePointCount(0, doc.length()) < config.minChars()) {
                        tooShort.add(tokenizer.encode(doc));
                    } else if (!seen.add(digest)) {
                        exact.add(tokenizer.encode(doc));
                    } else if (index.addUnlessNearDuplicate(MinHash.signature(doc))) {
                        near.add(tokenizer.encode(doc));
                    } else {
                        writers.get(splitOf(digest, config)).addDocument(tokenizer.endOfText(), tokenizer.encode(doc));
                    }
                }
            }
            bytesDone += bytes.length;
            bar.update(bytesDone);
        }
        bar.finish();
        Map<String, Object> manifest = manifest(config, files.size(), totalBytes, notUtf8, documents, tooShort, exact,
                near, writers);
        try {
            Files.writeString(config.output().resolve(MANIFEST), Json.write(manifest) + "\n", StandardCharsets.UTF_8);
        } catch (IOException e) {
            throw new UncheckedIOException("cannot write " + config.output().resolve(MANIFEST) + ": " + e.getMessage(), e);
        }
        return manifest;
    }

    private static Map<String, Object> manifest(PrepareConfig config, int files, long bytes, List<String> notUtf8,
                                                long documents, Dropped tooShort, Dropped exact, Dropped near,
                                                Map<String, ShardWriter> writers) {
        Map<String, Object> rules = new LinkedHashMap<>();
        rules.put("document", config.paragraphs() ? "paragraph" : "file");
        rules.put("separator_line", Gpt2Bpe.END_OF_TEXT);
        rules.put("min_chars", (long) config.minChars());
        rules.put("exact_dedup", "sha256 of the cleaned text");
        Map<String, Object> nearRule = new LinkedHashMap<>();
        nearRule.put("method", "minhash-lsh");
        nearRule.put("shingle_words", (long) MinHash.SHINGLE_WORDS);
        nearRule.put("permutations", (long) MinHash.PERMUTATIONS);
        nearRule.put("bands", (long) NearDuplicateIndex.BANDS);
        nearRule.put("rows", (long) NearDuplicateIndex.ROWS);
        nearRule.put("threshold", config.nearDuplicateThreshold());
        rules.put("near_dedup", nearRule);
        rules.put("seed", config.seed());
        Map<String, Object> fractions = new LinkedHashMap<>();
        fractions.put("train", 1 - config.valFraction() - config.testFraction());
        fractions.put("val", config.valFraction());
        fractions.put("test", config.testFraction());
        rules.put("fractions", fractions);
        Map<String, Object> inputs = new LinkedHashMap<>();
        inputs.put("files", (long) files);
        inputs.put("bytes", bytes);
        inputs.put("skipped_not_utf8", notUtf8);
        Map<String, Object> dropped = new LinkedHashMap<>();
        dropped.put("too_short", tooShort.json());
        dropped.put("exact_duplicates", exact.json());
        dropped.put("near_duplicates", near.json());
        Map<String, Object> splits = new LinkedHashMap<>();
        writers.forEach((name, writer) -> splits.put(name, writer.finish()));
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("format", "panatrain-prepare");
        m.put("version", 1L);
        m.put("tokenizer", config.tokenizer().name());
        m.put("vocab_size", (long) config.tokenizer().vocabSize());
        m.put("end_of_text", (long) config.tokenizer().endOfText());
        m.put("rules", rules);
        m.put("inputs", inputs);
        m.put("documents_read", documents);
        m.put("dropped", dropped);
        m.put("splits", splits);
        return m;
    }

    /** "train", "val" or "test": a uniform draw from the digest and the seed, against the fractions. */
    private static String splitOf(Digest digest, PrepareConfig config) {
        double u = (MinHash.mix(digest.high() ^ MinHash.mix(config.seed())) >>> 11) * 0x1.0p-53;
        if (u < config.valFraction()) {
            return "val";
        }
        return u < config.valFraction() + config.testFraction() ? "test" : "train";
    }

    private static Digest digest(String doc) {
        try {
            ByteBuffer hash = ByteBuffer.wrap(MessageDigest.getInstance("SHA-256").digest(doc.getBytes(StandardCharsets.UTF_8)));
            return new Digest(hash.getLong(0), hash.getLong(8));
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException("the JDK has no SHA-256", e);
        }
    }

    /** The files of the inputs: files as given, folders walked recursively in path order, hidden entries skipped. */
    static List<Path> inputFiles(List<Path> inputs) {
        List<Path> files = new ArrayList<>();
        for (Path input : inputs) {
            if (Files.isRegularFile(input)) {
                files.add(input);
            } else if (Files.isDirectory(input)) {
                try (Stream<Path> walk = Files.walk(input)) {
                    walk.filter(Files::isRegularFile).filter(p -> !hidden(input.relativize(p))).sorted().forEach(files::add);
                } catch (IOException e) {
                    throw new UncheckedIOException("cannot list " + input + ": " + e.getMessage(), e);
                }
            } else {
                throw new BadInputException(input, "no such file or folder");
            }
        }
        return files;
    }

    private static boolean hidden(Path relative) {
        for (Path part : relative) {
            if (part.toString().startsWith(".")) {
                return true;
            }
        }
        return false;
    }

    /** The text of {@code bytes}, or null when they are not valid UTF-8. */
    private static String decodeUtf8(byte[] bytes) {
        try {
            return StandardCharsets.UTF_8.newDecoder().onMalformedInput(CodingErrorAction.REPORT)
                    .onUnmappableCharacter(CodingErrorAction.REPORT).decode(ByteBuffer.wrap(bytes)).toString();
        } catch (CharacterCodingException e) {
            return null;
        }
    }

    private static byte[] readBytes(Path file) {
        try {
            return Files.readAllBytes(file);
        } catch (IOException e) {
            throw new UncheckedIOException("cannot read " + file + ": " + e.getMessage(), e);
        }
    }

    private static long size(Path file) {
        try {
            return Files.size(file);
        } catch (IOException e) {
            throw new UncheckedIOException("cannot read " + file + ": " + e.getMessage(), e);
        }
    }

    private static void createDirectories(Path dir) {
        try {
            Files.createDirectories(dir);
        } catch (IOException e) {
            throw new UncheckedIOException("cannot create " + dir + ": " + e.getMessage(), e);
        }
    }
}
