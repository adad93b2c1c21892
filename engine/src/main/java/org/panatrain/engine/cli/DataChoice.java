// The token data of a command: --data builtin (the generated addition corpus, with its held-out
// test problems as validation data), synthetic (random tokens, for speed), or an llm.c token
// shard; --val-data an optional validation shard. Owns the shards it opens.
package org.panatrain.engine.cli;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.panatrain.engine.data.ArithmeticCorpus;
import org.panatrain.engine.data.SyntheticTokens;
import org.panatrain.engine.data.TokenSource;
import org.panatrain.engine.io.TokenShard;

/**
 * Training (and validation) tokens chosen on the command line.
 *
 * @param train       training tokens
 * @param validation  validation tokens, or null
 * @param corpus      the built-in corpus when --data builtin (for test accuracy), else null
 * @param description one line for the start of a run
 * @param shards      the shard files opened for it, closed by {@link #close()}
 */
record DataChoice(TokenSource train, TokenSource validation, ArithmeticCorpus corpus, String description,
                  List<TokenShard> shards) implements AutoCloseable {
    static final String BUILTIN = "builtin";
    static final String SYNTHETIC = "synthetic";
    static final OptionSpec DATA = OptionSpec.of("data", OptionSpec.Kind.TEXT, "FILE|builtin|synthetic",
            "llm.c token shard, the built-in addition corpus (default) or random tokens");
    static final OptionSpec VAL_DATA = OptionSpec.of("val-data", OptionSpec.Kind.TEXT, "FILE",
            "validation token shard (default: the test problems with --data builtin, else none)");
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
        switch (data) {
            case BUILTIN -> {
                requireByteVocabulary(V);
                ArithmeticCorpus corpus = ArithmeticCorpus.standard();
                int[] tokens = corpus.trainTokens(Math.min(trainTokens + 1, MAX_BUILTIN_TOKENS), seed);
                TokenSource val = validation != null ? validation : TokenSource.of(corpus.testTokens(), "built-in test split");
                return new DataChoice(TokenSource.of(tokens, "built-in corpus"), val, corpus,
                        describe(corpus), shards);
            }
            case SYNTHETIC -> {
                return new DataChoice(new SyntheticTokens(V, seed, 1L << 40), validation, null,
                        "data: synthetic (uniformly random tokens; nothing to learn)", shards);
            }
            default -> {
                TokenSource train = shard(Path.of(data), V, shards);
                return new DataChoice(train, validation, null, "data: " + data + " (" + train.length() + " tokens)",
                        shards);
            }
        }
    }

    /** The test split of the built-in corpus or a shard, for `eval`. */
    static DataChoice forEval(ParsedOptions options, int V) {
        String data = options.text(DATA.name(), BUILTIN);
        List<TokenShard> shards = new ArrayList<>();
        if (data.equals(BUILTIN)) {
            requireByteVocabulary(V);
            ArithmeticCorpus corpus = ArithmeticCorpus.standard();
            TokenSource test = TokenSource.of(corpus.testTokens(), "built-in test split");
            return new DataChoice(test, null, corpus, "data: the built-in corpus's test split", shards);
        }
        if (data.equals(SYNTHETIC)) {
            throw new UsageException("--data synthetic has nothing to evaluate; give a token shard or builtin");
        }
        TokenSource test = shard(Path.of(data), V, shards);
        return new DataChoice(test, null, null, "data: " + data, shards);
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
