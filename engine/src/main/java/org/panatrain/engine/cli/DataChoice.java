// The token data of a command: --data builtin (the generated addition corpus, with its held-out
// test problems as validation data), synthetic (random tokens, for speed), an llm.c token shard,
// or a folder written by `prepare` (its train/val/test splits); --val-data and --test-data
// optional validation and test shards (they replace a prepared folder's). Owns the shards it opens.
package org.panatrain.engine.cli;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.panatrain.engine.data.ArithmeticCorpus;
import org.panatrain.engine.data.ConcatenatedTokens;
import org.panatrain.engine.data.SyntheticTokens;
import org.panatrain.engine.data.TokenSource;
import org.panatrain.engine.io.BadInputException;
import org.panatrain.engine.io.TokenShard;
import org.panatrain.engine.prepare.PreparedFolder;

/**
 * Training (and validation) tokens chosen on the command line.
 *
 * @param train       training tokens
 * @param validation  validation tokens, or null
 * @param test        test tokens, evaluated once after training, or null
 * @param corpus      the built-in corpus when --data builtin (for test accuracy), else null
 * @param description one line for the start of a run
 * @param shards      the shard files opened for it, closed by {@link #close()}
 */
record DataChoice(TokenSource train, TokenSource validation, TokenSource test, ArithmeticCorpus corpus,
                  String description, List<TokenShard> shards) implements AutoCloseable {
    static final String BUILTIN = "builtin";
    static final String SYNTHETIC = "synthetic";
    static final OptionSpec DATA = OptionSpec.of("data", OptionSpec.Kind.TEXT, "SOURCE",
            "FILE (llm.c token shard), DIR (a folder made by `prepare`), builtin (the addition corpus, default) or synthetic (random tokens)");
    static final OptionSpec VAL_DATA = OptionSpec.of("val-data", OptionSpec.Kind.TEXT, "FILE",
            "validation token shard (default: a prepared folder's val split; the test problems with --data builtin)");
    static final OptionSpec TEST_DATA = OptionSpec.of("test-data", OptionSpec.Kind.TEXT, "FILE",
            "test token shard, evaluated once after training (default: a prepared folder's test split, else none)");
    /** The built-in corpus is generated up to this many tokens; longer runs wrap around. */
    private static final long MAX_BUILTIN_TOKENS = 8L << 20;

    /**
     * Opens the data for a run of {@code trainTokens} tokens over a vocabulary of V; the
     * built-in corpus's epoch order and the synthetic tokens come from {@code seed}.
     */
    static DataChoice open(ParsedOptions options, int V, long trainTokens, long seed) {
        List<TokenShard> shards = new ArrayList<>();
        try {
            return open(options, V, trainTokens, seed, shards);
        } catch (RuntimeException e) {
            shards.forEach(TokenShard::close); // the validation shard when the training data is bad
            throw e;
        }
    }

    private static DataChoice open(ParsedOptions options, int V, long trainTokens, long seed, List<TokenShard> shards) {
        String data = options.text(DATA.name(), BUILTIN);
        TokenSource validation = options.path(VAL_DATA.name()).map(p -> shard(p, V, shards)).orElse(null);
        TokenSource test = options.path(TEST_DATA.name()).map(p -> shard(p, V, shards)).orElse(null);
        switch (data) {
            case BUILTIN -> {
                requireByteVocabulary(V);
                ArithmeticCorpus corpus = ArithmeticCorpus.standard();
                int[] tokens = corpus.trainTokens(Math.min(trainTokens + 1, MAX_BUILTIN_TOKENS), seed);
                TokenSource val = validation != null ? validation : TokenSource.of(corpus.testTokens(), "built-in test split");
                return new DataChoice(TokenSource.of(tokens, "built-in corpus"), val, test, corpus,
                        describe(corpus), shards);
            }
            case SYNTHETIC -> {
                return new DataChoice(new SyntheticTokens(V, seed, 1L << 40), validation, test, null,
                        "data: synthetic (uniformly random tokens; nothing to learn)", shards);
            }
            default -> {
                Path path = Path.of(data);
                if (PreparedFolder.isPrepared(path)) {
                    PreparedFolder folder = PreparedFolder.read(path);
                    TokenSource train = split(folder, "train", V, shards);
                    if (train == null) {
                        throw new BadInputException(path, "the prepared train split is empty");
                    }
                    TokenSource val = validation != null ? validation : split(folder, "val", V, shards);
                    TokenSource tst = test != null ? test : split(folder, "test", V, shards);
                    return new DataChoice(train, val, tst, null, "data: " + data + " (prepared: train " + train.length()
                            + " tokens" + tokens(", val ", val) + tokens(", test ", tst) + ")", shards);
                }
                TokenSource train = shard(path, V, shards);
                return new DataChoice(train, validation, test, null,
                        "data: " + data + " (" + train.length() + " tokens)", shards);
            }
        }
    }

    /** The shards of a prepared folder's split as one source, or null when the split is empty. */
    private static TokenSource split(PreparedFolder folder, String split, int V, List<TokenShard> shards) {
        if (folder.vocabSize() > V) {
            throw new BadInputException(folder.directory(), "was prepared with the " + folder.tokenizer()
                    + " tokenizer (vocab_size " + folder.vocabSize() + "), more than the model's vocab_size " + V);
        }
        List<TokenSource> parts = folder.shards(split).stream().map(f -> shard(f, V, shards)).toList();
        return parts.isEmpty() ? null : ConcatenatedTokens.of(parts, folder.directory().resolve(split).toString());
    }

    private static String tokens(String label, TokenSource source) {
        return source == null ? label + "none" : label + source.length() + " tokens";
    }

    /** The test split of the built-in corpus or of a prepared folder, or a shard, for `eval`. */
    static DataChoice forEval(ParsedOptions options, int V) {
        String data = options.text(DATA.name(), BUILTIN);
        List<TokenShard> shards = new ArrayList<>();
        if (data.equals(BUILTIN)) {
            requireByteVocabulary(V);
            ArithmeticCorpus corpus = ArithmeticCorpus.standard();
            TokenSource test = TokenSource.of(corpus.testTokens(), "built-in test split");
            return new DataChoice(test, null, null, corpus, "data: the built-in corpus's test split", shards);
        }
        if (data.equals(SYNTHETIC)) {
            throw new UsageException("--data synthetic has nothing to evaluate; give a token shard or builtin");
        }
        Path path = Path.of(data);
        try {
            TokenSource test = PreparedFolder.isPrepared(path) ? split(PreparedFolder.read(path), "test", V, shards)
                    : shard(path, V, shards);
            if (test == null) {
                throw new BadInputException(path, "the prepared test split is empty");
            }
            return new DataChoice(test, null, null, null, "data: " + test.name(), shards);
        } catch (RuntimeException e) {
            shards.forEach(TokenShard::close);
            throw e;
        }
    }

    /** Throws a BadInputException naming the file when a source cannot fill one B x T batch. */
    static void requireBatch(TokenSource source, int B, int T) {
        if (source instanceof ShardTokens s) {
            s.shard().requireTokens((long) B * T + 1, "one batch of B*T+1 = " + ((long) B * T + 1));
        } else if (source.length() < (long) B * T + 1) {
            throw new UsageException(source.name() + " has " + source.length()
                    + " tokens, fewer than one batch of B*T+1 = " + ((long) B * T + 1) + "; lower --batch or --seq");
        }
    }

    private static void requireByteVocabulary(int V) {
        if (V < 256) {
            throw new UsageException("the built-in corpus has byte tokens and needs vocab_size >= 256, the model has " + V);
        }
    }

    private static String describe(ArithmeticCorpus c) {
        return "data: built-in addition, " + c.digits() + "-digit a+b with the answer's digits reversed (\"07+45=250\" is 7+45=52); "
                + c.train().size() + " training problems, " + c.test().size() + " held-out test problems";
    }

    private static TokenSource shard(Path file, int V, List<TokenShard> shards) {
        TokenShard shard = TokenShard.open(InputFiles.existing(file), V);
        shards.add(shard);
        return new ShardTokens(shard);
    }

    @Override
    public void close() {
        shards.forEach(TokenShard::close);
    }

    /** A token shard read as a token source. */
    record ShardTokens(TokenShard shard) implements TokenSource {
        @Override
        public long length() {
            return shard.tokenCount();
        }

        @Override
        public void read(long start, int[] dst) {
            shard.read(start, dst);
        }

        @Override
        public String name() {
            return shard.file().toString();
        }
    }
}
