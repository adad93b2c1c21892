// The settings of one prepare run, with the defaults the CLI uses. Leaves out parsing options.
package org.panatrain.engine.prepare;

import java.nio.file.Path;
import java.util.List;

/**
 * What {@link Prepare#run} reads, how it filters and splits, and where it writes.
 *
 * <pre>{@code
 * PrepareConfig cfg = PrepareConfig.defaults(List.of(Path.of("texts/")), Path.of("data/"), Tokenizer.bytes())
 *         .withSplit(0.1, 0.1, 7);
 * }</pre>
 *
 * @param inputs          text files and folders (walked recursively; hidden files skipped)
 * @param output          the folder the shards and manifest.json go to
 * @param tokenizer       byte-level or GPT-2 BPE
 * @param minChars        documents of fewer characters (code points) after cleaning are dropped
 * @param valFraction     the expected fraction of documents in the validation split
 * @param testFraction    the expected fraction of documents in the test split
 * @param seed            the seed of the split assignment
 * @param shardTokens     tokens per shard (the last one of a split holds the rest)
 * @param paragraphs      true: every paragraph (text between blank lines) is a document; false: a file is
 * @param nearDuplicateThreshold  estimated Jaccard similarity at or above which a document is a near duplicate
 */
public record PrepareConfig(List<Path> inputs, Path output, Tokenizer tokenizer, int minChars, double valFraction,
                            double testFraction, long seed, int shardTokens, boolean paragraphs,
                            double nearDuplicateThreshold) {
    public static final int DEFAULT_MIN_CHARS = 64;
    public static final double DEFAULT_FRACTION = 0.05;
    public static final long DEFAULT_SEED = 1337;
    /** llm.c's shard size. */
    public static final int DEFAULT_SHARD_TOKENS = 100_000_000;
    public static final double DEFAULT_NEAR_DUPLICATE_THRESHOLD = 0.8;

    public PrepareConfig {
        inputs = List.copyOf(inputs);
        if (inputs.isEmpty()) {
            throw new IllegalArgumentException("prepare needs at least one input file or folder");
        }
        if (minChars < 0 || shardTokens < 1) {
            throw new IllegalArgumentException("min chars must be >= 0 and shard tokens >= 1");
        }
        if (valFraction < 0 || testFraction < 0 || valFraction + testFraction >= 1) {
            throw new IllegalArgumentException("val and test fractions must be >= 0 and sum to less than 1, got "
                    + valFraction + " and " + testFraction);
        }
        if (!(nearDuplicateThreshold > 0 && nearDuplicateThreshold <= 1)) {
            throw new IllegalArgumentException("near-duplicate threshold must be in (0, 1], got " + nearDuplicateThreshold);
        }
    }

    /** The defaults: 64 characters minimum, 5 % validation, 5 % test, seed 1337, files as documents. */
    public static PrepareConfig defaults(List<Path> inputs, Path output, Tokenizer tokenizer) {
        return new PrepareConfig(inputs, output, tokenizer, DEFAULT_MIN_CHARS, DEFAULT_FRACTION, DEFAULT_FRACTION,
                DEFAULT_SEED, DEFAULT_SHARD_TOKENS, false, DEFAULT_NEAR_DUPLICATE_THRESHOLD);
    }

    public PrepareConfig withSplit(double val, double test, long newSeed) {
        return new PrepareConfig(inputs, output, tokenizer, minChars, val, test, newSeed, shardTokens, paragraphs,
                nearDuplicateThreshold);
    }

    public PrepareConfig withMinChars(int chars) {
        return new PrepareConfig(inputs, output, tokenizer, chars, valFraction, testFraction, seed, shardTokens,
                paragraphs, nearDuplicateThreshold);
    }

    public PrepareConfig withShardTokens(int tokens) {
        return new PrepareConfig(inputs, output, tokenizer, minChars, valFraction, testFraction, seed, tokens,
                paragraphs, nearDuplicateThreshold);
    }

    public PrepareConfig withParagraphs(boolean perParagraph) {
        return new PrepareConfig(inputs, output, tokenizer, minChars, valFraction, testFraction, seed, shardTokens,
                perParagraph, nearDuplicateThreshold);
    }
}
