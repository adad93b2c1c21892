// `panatrain prepare INPUT... --out DIR`: text files and folders -> cleaned, deduplicated,
// tokenized train/val/test llm.c shards and DIR/manifest.json (engine.prepare does the work);
// prints the manifest's counts, or with --json the whole manifest as one line. Leaves out
// appending to an existing output folder: its manifest and shards are replaced.
package org.panatrain.engine.cli;

import java.io.PrintStream;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import org.panatrain.engine.io.Json;
import org.panatrain.engine.prepare.Gpt2Bpe;
import org.panatrain.engine.prepare.Prepare;
import org.panatrain.engine.prepare.PrepareConfig;
import org.panatrain.engine.prepare.Tokenizer;

/** The prepare command. */
final class PrepareCommand implements Command {
    static final OptionSpec OUT = OptionSpec.of("out", OptionSpec.Kind.TEXT, "DIR",
            "folder for the shards and manifest.json (required)");
    static final OptionSpec TOKENIZER = OptionSpec.choice("tokenizer", List.of("byte", "gpt2"),
            "byte-level (V=256) or GPT-2 BPE from --vocab and --merges (default byte)");
    static final OptionSpec VOCAB = OptionSpec.of("vocab", OptionSpec.Kind.TEXT, "FILE", "GPT-2 vocab.json (with --tokenizer gpt2)");
    static final OptionSpec MERGES = OptionSpec.of("merges", OptionSpec.Kind.TEXT, "FILE", "GPT-2 merges.txt (with --tokenizer gpt2)");
    static final OptionSpec MIN_CHARS = OptionSpec.of("min-chars", OptionSpec.Kind.NON_NEGATIVE_INT, "N",
            "drop documents shorter than N characters after cleaning (default " + PrepareConfig.DEFAULT_MIN_CHARS + ")");
    static final OptionSpec NEAR_DUP = OptionSpec.of("near-dup-threshold", OptionSpec.Kind.NON_NEGATIVE_NUMBER, "X",
            "drop a document whose estimated Jaccard similarity (word 5-gram MinHash) to a kept one is >= X, in (0, 1] (default "
                    + PrepareConfig.DEFAULT_NEAR_DUPLICATE_THRESHOLD + ")");
    static final OptionSpec VAL_FRACTION = OptionSpec.of("val-fraction", OptionSpec.Kind.NON_NEGATIVE_NUMBER, "X",
            "expected fraction of documents in the validation split (default " + PrepareConfig.DEFAULT_FRACTION + ")");
    static final OptionSpec TEST_FRACTION = OptionSpec.of("test-fraction", OptionSpec.Kind.NON_NEGATIVE_NUMBER, "X",
            "expected fraction of documents in the test split (default " + PrepareConfig.DEFAULT_FRACTION + ")");
    static final OptionSpec SEED = OptionSpec.of("seed", OptionSpec.Kind.INTEGER, "N",
            "seed of the split assignment (default " + PrepareConfig.DEFAULT_SEED + ")");
    static final OptionSpec SHARD_TOKENS = OptionSpec.of("shard-tokens", OptionSpec.Kind.POSITIVE_INT, "N",
            "tokens per shard file (default " + PrepareConfig.DEFAULT_SHARD_TOKENS + ")");
    static final OptionSpec PARAGRAPHS = OptionSpec.flag("paragraphs",
            "every paragraph (text between blank lines) is a document (default: every file is one)");

    @Override
    public String name() {
        return "prepare";
    }

    @Override
    public String summary() {
        return "text files or folders -> cleaned, deduplicated, tokenized train/val/test shards";
    }

    @Override
    public String operands() {
        return "INPUT...";
    }

    @Override
    public List<OptionSpec> options() {
        return List.of(OUT, TOKENIZER, VOCAB, MERGES, MIN_CHARS, NEAR_DUP, VAL_FRACTION, TEST_FRACTION, SEED,
                SHARD_TOKENS, PARAGRAPHS, TrainCommand.JSON);
    }

    @Override
    public void run(ParsedOptions o, PrintStream out, PrintStream err) {
        if (o.operands().isEmpty()) {
            throw new UsageException("give the text files or folders to prepare (panatrain prepare INPUT... --out DIR)");
        }
        Path output = Path.of(o.required(OUT.name()));
        PrepareConfig config;
        try {
            config = new PrepareConfig(o.operands().stream().map(Path::of).toList(), output, tokenizer(o),
                    o.intValue(MIN_CHARS.name(), PrepareConfig.DEFAULT_MIN_CHARS),
                    o.doubleValue(VAL_FRACTION.name(), PrepareConfig.DEFAULT_FRACTION),
                    o.doubleValue(TEST_FRACTION.name(), PrepareConfig.DEFAULT_FRACTION),
                    o.longValue(SEED.name(), PrepareConfig.DEFAULT_SEED),
                    o.intValue(SHARD_TOKENS.name(), PrepareConfig.DEFAULT_SHARD_TOKENS), o.flag(PARAGRAPHS.name()),
                    o.doubleValue(NEAR_DUP.name(), PrepareConfig.DEFAULT_NEAR_DUPLICATE_THRESHOLD));
        } catch (IllegalArgumentException e) {
            throw new UsageException(e.getMessage());
        }
        Map<String, Object> manifest = Prepare.run(config, err::println);
        String summary = summary(manifest, output.resolve(Prepare.MANIFEST));
        if (o.flag(TrainCommand.JSON.name())) {
            err.print(summary);
            out.println(Json.write(manifest));
        } else {
            out.print(summary);
        }
    }

    private static Tokenizer tokenizer(ParsedOptions o) {
        boolean gpt2 = o.text(TOKENIZER.name(), "byte").equals("gpt2");
        if (!gpt2) {
            if (o.has(VOCAB.name()) || o.has(MERGES.name())) {
                throw new UsageException("--vocab and --merges go with --tokenizer gpt2");
            }
            return Tokenizer.bytes();
        }
        if (!o.has(VOCAB.name()) || !o.has(MERGES.name())) {
            throw new UsageException("--tokenizer gpt2 needs --vocab vocab.json and --merges merges.txt");
        }
        return Gpt2Bpe.load(InputFiles.existing(o.path(VOCAB.name()).orElseThrow()),
                InputFiles.existing(o.path(MERGES.name()).orElseThrow()));
    }

    /** The manifest's counts, a few lines of text. */
    private static String summary(Map<String, Object> m, Path manifestFile) {
        Map<?, ?> inputs = (Map<?, ?>) m.get("inputs");
        Map<?, ?> dropped = (Map<?, ?>) m.get("dropped");
        Map<?, ?> splits = (Map<?, ?>) m.get("splits");
        StringBuilder sb = new StringBuilder();
        sb.append(String.format("read: %,d files, %,d bytes, %,d documents (tokenizer %s, V=%d)%n",
                (Long) inputs.get("files"), (Long) inputs.get("bytes"), (Long) m.get("documents_read"),
                m.get("tokenizer"), (Long) m.get("vocab_size")));
        List<?> skipped = (List<?>) inputs.get("skipped_not_utf8");
        if (!skipped.isEmpty()) {
            sb.append(String.format("skipped: %d files that are not UTF-8%n", skipped.size()));
        }
        for (String reason : List.of("too_short", "exact_duplicates", "near_duplicates")) {
            Map<?, ?> d = (Map<?, ?>) dropped.get(reason);
            sb.append(String.format("dropped %s: %,d documents, %,d tokens%n", reason.replace('_', ' '),
                    (Long) d.get("documents"), (Long) d.get("tokens")));
        }
        for (Map.Entry<?, ?> e : splits.entrySet()) {
            Map<?, ?> s = (Map<?, ?>) e.getValue();
            sb.append(String.format("kept %-5s: %,d documents, %,d tokens in %d shards%n", e.getKey(),
                    (Long) s.get("documents"), (Long) s.get("tokens"), ((List<?>) s.get("shards")).size()));
        }
        sb.append("wrote ").append(manifestFile).append(System.lineSeparator());
        return sb.toString();
    }
}
