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
 * }</pre>
 */
public final class Generator implements AutoCloseable {
    private final Gpt2Step step;
    private final int window;   // T of the forward pass
    private final int[] inputs; // (1, T)

    /** A generator whose forward passes see the last {@code window} (<= n_positions) tokens. */
    public Generator(Gpt2 model, int window) {
        this.step = model.newStep(1, window);
        this.window = window;
        this.inputs = new int[window];
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
            System.arraycopy(context, from, inputs, 0, n);
            float[] logits = step.logits(inputs, n - 1); // (V)
            context[length++] = temperature == 0 ? argmax(logits) : draw(logits, temperature, topK, rng);
        }
        return Arrays.copyOfRange(context, prompt.length, length);
    }

    static int argmax(float[] logits) {
        int best = 0;
        for (int i = 1; i < logits.length; i++) {
            if (logits[i] > logits[best]) {
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
