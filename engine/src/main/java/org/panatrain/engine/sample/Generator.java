// Text generation from a model, one token at a time: greedy (temperature 0) or sampled with a
// temperature and optional top-k. Each new token costs a forward pass over a window of the last
// `window` tokens (no KV cache: fine for the small models and short outputs this serves).
package org.panatrain.engine.sample;

import java.util.Arrays;
import java.util.random.RandomGenerator;
import org.panatrain.engine.model.Gpt2;
import org.panatrain.engine.model.Gpt2Step;

/**
 * Continues token sequences with a model.
 *
 * <pre>{@code
 * try (Generator g = new Generator(model, 64)) {
 *     int[] next = g.generate(prompt, 20, 0f, 0, new java.util.Random(1));   // greedy
 * }
 * try (Generator g = new Generator(model, 100, 16)) {
 *     int[][] answers = g.greedy(prompts, 3);                                // 100 prompts at once
 * }
 * }</pre>
 */
public final class Generator implements AutoCloseable {
    private final Gpt2Step step;
    private final int B;        // rows of a batched forward pass
    private final int window;   // T of the forward pass
    private final int V;
    private final int[] inputs; // (B, T)

    /** A generator whose forward passes see the last {@code window} (<= n_positions) tokens. */
    public Generator(Gpt2 model, int window) {
        this(model, 1, window);
    }

    /** A generator that also decodes up to {@code batch} prompts at once ({@link #greedy}). */
    public Generator(Gpt2 model, int batch, int window) {
        this.step = model.newStep(batch, window);
        this.B = batch;
        this.window = window;
        this.V = model.config().vocabSize();
        this.inputs = new int[batch * window];
    }

    /**
     * The {@code count} tokens that follow {@code prompt} (non-empty). Temperature 0 takes the
     * most likely token; otherwise tokens are drawn from softmax(logits / temperature), restricted
     * to the {@code topK} most likely when topK > 0.
     */
    public int[] generate(int[] prompt, int count, float temperature, int topK, RandomGenerator rng) {
        if (prompt.length == 0) {
            throw new IllegalArgumentException("the prompt must have at least one token");
        }
        int[] context = Arrays.copyOf(prompt, prompt.length + count);
        int length = prompt.length;
        for (int i = 0; i < count; i++) {
            int from = Math.max(0, length - window);
            int n = length - from;
            Arrays.fill(inputs, 0);
            System.arraycopy(context, from, inputs, 0, n); // row 0; other rows stay padding
            float[] logits = step.logits(inputs, n - 1); // (V) of row 0
            context[length++] = temperature == 0 ? argmax(logits) : draw(logits, temperature, topK, rng);
        }
        return Arrays.copyOfRange(context, prompt.length, length);
    }

    /**
     * Greedy continuations of up to B prompts at once (B of this generator's step), each by
     * {@code count} tokens; every prompt + continuation must fit in the window. One forward pass
     * per generated token serves every row.
     */
    public int[][] greedy(int[][] prompts, int count) {
        if (prompts.length > B) {
            throw new IllegalArgumentException(prompts.length + " prompts, more than the batch of " + B);
        }
        int[] lengths = new int[prompts.length];
        Arrays.fill(inputs, 0);
        for (int r = 0; r < prompts.length; r++) {
            if (prompts[r].length == 0 || prompts[r].length + count > window) {
                throw new IllegalArgumentException("prompt " + r + " has " + prompts[r].length + " tokens; with "
                        + count + " more it must fit in 1.." + window);
            }
            System.arraycopy(prompts[r], 0, inputs, r * window, prompts[r].length);
            lengths[r] = prompts[r].length;
        }
        int[][] out = new int[prompts.length][count];
        for (int i = 0; i < count; i++) {
            float[] logits = step.logits(inputs); // (B, T, V)
            for (int r = 0; r < prompts.length; r++) {
                int next = argmax(logits, ((long) r * window + lengths[r] - 1) * V, V);
                out[r][i] = next;
                inputs[r * window + lengths[r]++] = next;
            }
        }
        return out;
    }

    static int argmax(float[] logits) {
        return argmax(logits, 0, logits.length);
    }

    /** Index (relative to {@code offset}) of the largest of logits[offset, offset + n). */
    private static int argmax(float[] logits, long offset, int n) {
        int from = Math.toIntExact(offset);
        int best = 0;
        for (int i = 1; i < n; i++) {
            if (logits[from + i] > logits[from + best]) {
                best = i;
            }
        }
        return best;
    }

    private static int draw(float[] logits, float temperature, int topK, RandomGenerator rng) {
        float cutoff = Float.NEGATIVE_INFINITY;
        if (topK > 0 && topK < logits.length) {
            float[] sorted = logits.clone();
            Arrays.sort(sorted);
            cutoff = sorted[sorted.length - topK];
        }
        int best = argmax(logits);
        double[] p = new double[logits.length];
        double sum = 0;
        for (int i = 0; i < logits.length; i++) {
            p[i] = logits[i] >= cutoff ? Math.exp((logits[i] - logits[best]) / temperature) : 0;
            sum += p[i];
        }
        double u = rng.nextDouble() * sum;
        for (int i = 0; i < p.length; i++) {
            u -= p[i];
            if (u < 0) {
                return i;
            }
        }
        return best; // rounding left u >= 0: the most likely token
    }

    @Override
    public void close() {
        step.close();
    }
}
