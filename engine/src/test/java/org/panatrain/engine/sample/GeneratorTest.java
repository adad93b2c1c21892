// Generation against argmax/softmax computed here from the step's own logits: greedy batched
// decoding equals one-prompt-at-a-time greedy decoding, and top-k 1 sampling is greedy.
package org.panatrain.engine.sample;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.Random;
import org.junit.jupiter.api.Test;
import org.panatrain.engine.model.Gpt2;
import org.panatrain.engine.model.Gpt2Config;
import org.panatrain.engine.model.Gpt2Step;
import org.panatrain.kernels.cpu.CpuKernels;

class GeneratorTest {
    private static final Gpt2Config CONFIG = new Gpt2Config(1, 2, 16, 12, 32);

    @Test
    void greedyFollowsTheLargestLogitAndBatchingChangesNothing() {
        try (CpuKernels k = CpuKernels.create(1); Gpt2 model = Gpt2.create(CONFIG, k, 3)) {
            int[][] prompts = {{1, 2, 3}, {4, 5}, {6, 7, 8, 9}};
            int[][] batched;
            try (Generator g = new Generator(model, 4, 12)) {
                batched = g.greedy(prompts, 5);
            }
            try (Generator g = new Generator(model, 12); Gpt2Step step = model.newStep(1, 12)) {
                for (int r = 0; r < prompts.length; r++) {
                    int[] one = g.generate(prompts[r], 5, 0f, 0, null);
                    assertThat(batched[r]).as("row %d", r).containsExactly(one);
                    // first token: the argmax of the logits after the prompt, found here
                    int[] in = new int[12];
                    System.arraycopy(prompts[r], 0, in, 0, prompts[r].length);
                    float[] logits = step.logits(in, prompts[r].length - 1);
                    int best = 0;
                    for (int v = 1; v < logits.length; v++) {
                        best = logits[v] > logits[best] ? v : best;
                    }
                    assertThat(one[0]).isEqualTo(best);
                }
                int[] sampled = g.generate(prompts[0], 5, 1.0f, 1, new Random(9));
                assertThat(sampled).containsExactly(g.generate(prompts[0], 5, 0f, 0, null));
            }
        }
    }

    @Test
    void longPromptsSlideTheWindow() {
        try (CpuKernels k = CpuKernels.create(1); Gpt2 model = Gpt2.create(CONFIG, k, 3);
             Generator g = new Generator(model, 4)) {
            int[] prompt = {1, 2, 3, 4, 5, 6, 7};
            int[] tail = {4, 5, 6, 7};
            assertThat(g.generate(prompt, 1, 0f, 0, null)).containsExactly(g.generate(tail, 1, 0f, 0, null));
        }
    }
}
