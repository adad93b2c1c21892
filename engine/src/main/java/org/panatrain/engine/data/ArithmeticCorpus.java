// The built-in corpus: generated addition problems, so `panatrain train` needs no download and
// learning shows as exact-match accuracy on problems the model never saw. A problem is one line
// "a+b=c\n" with a and b zero-padded to D digits and the sum zero-padded to D+1 digits and
// written with its digits REVERSED (least significant first), the order in which a carry is
// computed: "07+45=250\n" says 7 + 45 = 52. Leaves out other operations and variable widths.
package org.panatrain.engine.data;

import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Random;
import org.panatrain.engine.io.ByteTokenizer;

/**
 * Every problem a+b with a, b in [0, 10^D), split by a seeded shuffle into a training set and a
 * held-out test set; token streams of shuffled training epochs; byte-level tokens (vocabulary 256).
 *
 * <pre>{@code
 * ArithmeticCorpus corpus = ArithmeticCorpus.standard();
 * int[] train = corpus.trainTokens(1_000_000, 42);    // >= 1M tokens of whole lines
 * Problem p = corpus.test().get(0);
 * String prompt = corpus.prompt(p);                   // "07+45="
 * String answer = corpus.answer(p);                   // "250"
 * }</pre>
 */
public final class ArithmeticCorpus {
    /** Digits of each operand in the standard corpus. */
    public static final int STANDARD_DIGITS = 2;
    /** Problems held out for testing in the standard corpus (10% of the 10,000 two-digit problems). */
    public static final int STANDARD_TEST_COUNT = 1000;
    /** Seed of the standard train/test split. */
    public static final long STANDARD_SPLIT_SEED = 20240520L;

    /** One problem: a + b. */
    public record Problem(int a, int b) {
        public int sum() {
            return a + b;
        }
    }

    private static final ByteTokenizer TOKENIZER = new ByteTokenizer();

    private final int digits; // D
    private final List<Problem> train;
    private final List<Problem> test;

    /**
     * All (10^D)^2 problems with operands of {@code digits} digits, shuffled with {@code splitSeed};
     * the first {@code testCount} are the test set, the rest the training set.
     */
    public ArithmeticCorpus(int digits, int testCount, long splitSeed) {
        if (digits < 1 || digits > 4) {
            throw new IllegalArgumentException("digits must be in 1..4, got " + digits);
        }
        int range = pow10(digits);
        int total = range * range;
        if (testCount < 1 || testCount >= total) {
            throw new IllegalArgumentException("testCount must be in 1.." + (total - 1) + ", got " + testCount);
        }
        this.digits = digits;
        List<Problem> all = new ArrayList<>(total);
        for (int a = 0; a < range; a++) {
            for (int b = 0; b < range; b++) {
                all.add(new Problem(a, b));
            }
        }
        Collections.shuffle(all, new Random(splitSeed));
        this.test = List.copyOf(all.subList(0, testCount));
        this.train = List.copyOf(all.subList(testCount, total));
    }

    /** Two-digit operands, 1,000 test problems, the fixed split seed. */
    public static ArithmeticCorpus standard() {
        return new ArithmeticCorpus(STANDARD_DIGITS, STANDARD_TEST_COUNT, STANDARD_SPLIT_SEED);
    }

    public int digits() {
        return digits;
    }

    public List<Problem> train() {
        return train;
    }

    public List<Problem> test() {
        return test;
    }

    /** "aa+bb=": what the model is given. */
    public String prompt(Problem p) {
        return pad(p.a(), digits) + "+" + pad(p.b(), digits) + "=";
    }

    /** The expected answer: the sum padded to D+1 digits, reversed ("250" for 52). */
    public String answer(Problem p) {
        return new StringBuilder(pad(p.sum(), digits + 1)).reverse().toString();
    }

    /** prompt + answer + newline. */
    public String line(Problem p) {
        return prompt(p) + answer(p) + "\n";
    }

    /** Characters (= byte tokens) of every line: 2D operand digits, '+', '=', D+1 answer digits, '\n'. */
    public int lineLength() {
        return 2 * digits + 2 + digits + 1 + 1;
    }

    /** Characters of an answer. */
    public int answerLength() {
        return digits + 1;
    }

    /** The number an answer string in this corpus's reversed format stands for ("250" -> 52), or -1 if it is not digits. */
    public static long readReversed(String answer) {
        if (answer.isEmpty() || !answer.chars().allMatch(Character::isDigit)) {
            return -1;
        }
        return Long.parseLong(new StringBuilder(answer).reverse().toString());
    }

    /**
     * At least {@code minTokens} tokens of training lines: whole epochs over the training set,
     * each in its own order drawn from {@code seed}, concatenated (the last epoch cut at a line end).
     */
    public int[] trainTokens(long minTokens, long seed) {
        int lines = (int) Math.min(Integer.MAX_VALUE / lineLength(), (minTokens + lineLength() - 1) / lineLength());
        int[] tokens = new int[lines * lineLength()];
        Random rng = new Random(seed);
        List<Problem> order = new ArrayList<>(train);
        int written = 0;
        while (written < lines) {
            Collections.shuffle(order, rng);
            for (int i = 0; i < order.size() && written < lines; i++, written++) {
                encodeInto(line(order.get(i)), tokens, written * lineLength());
            }
        }
        return tokens;
    }

    /** The test lines in split order, as tokens (for validation loss). */
    public int[] testTokens() {
        int[] tokens = new int[test.size() * lineLength()];
        for (int i = 0; i < test.size(); i++) {
            encodeInto(line(test.get(i)), tokens, i * lineLength());
        }
        return tokens;
    }

    private static void encodeInto(String line, int[] dst, int offset) {
        int[] ids = TOKENIZER.encode(line);
        System.arraycopy(ids, 0, dst, offset, ids.length);
    }

    private static String pad(int value, int width) {
        String s = Integer.toString(value);
        return "0".repeat(width - s.length()) + s;
    }

    private static int pow10(int n) {
        int p = 1;
        for (int i = 0; i < n; i++) {
            p *= 10;
        }
        return p;
    }
}
