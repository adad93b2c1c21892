// Runs two micro-batches of a GPT-2 training graph on an Executor with a given layout, for tests
// that compare layouts and schedules bit for bit; a graph with dropout runs at DROPOUT, each
// micro-batch with its own seed.
package org.panatrain.engine.model;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.util.Arrays;
import java.util.HashMap;
import java.util.Map;
import java.util.Random;
import org.panatrain.engine.graph.ArenaLayout;
import org.panatrain.engine.graph.Executor;
import org.panatrain.engine.graph.TensorSpec;
import org.panatrain.kernels.Kernels;
import org.panatrain.memory.DType;
import org.panatrain.memory.Tensor;

final class StepRuns {
    static final float DROPOUT = 0.2f;
    private StepRuns() {
    }

    // Losses of two micro-batches followed by the accumulated gradients of all parameters.
    static float[] lossesAndGradients(Kernels kernels, Gpt2 model, Gpt2TrainingGraph g, ArenaLayout layout) {
        int B = g.tokens().shape()[0];
        int T = g.tokens().shape()[1];
        int V = model.config().vocabSize();
        Map<TensorSpec, Tensor> external = new HashMap<>();
        for (Parameter p : model.parameters()) {
            TensorSpec s = g.parameters().get(p.name());
            external.put(s, p.value());
            external.put(g.gradients().get(s), p.grad());
        }
        kernels.fill(model.gradientBlock(), 0f);
        Random random = new Random(3);
        float[] out = new float[0];
        try (Executor ex = new Executor(g.graph(), kernels, external, layout); Arena arena = Arena.ofConfined()) {
            for (int micro = 0; micro < 2; micro++) {
                upload(kernels, arena, ex.tensor(g.tokens()), random.ints(B * T, 0, V).toArray());
                upload(kernels, arena, ex.tensor(g.targets()), random.ints(B * T, 0, V).toArray());
                ex.setScalar(g.scaleSlot(), 0.5f / (B * T));
                if (g.dropoutSlot() >= 0) {
                    ex.setScalar(g.dropoutSlot(), DROPOUT);
                    ex.setSeed(g.seedSlot(), 1000 + micro);
                }
                ex.run(0, g.graph().ops().size());
                out = concat(out, TestTensors.read(kernels, ex.tensor(g.losses())));
            }
        }
        return concat(out, TestTensors.read(kernels, model.gradientBlock()));
    }

    private static void upload(Kernels kernels, Arena arena, Tensor dst, int[] values) {
        MemorySegment host = arena.allocate(4L * values.length, 64);
        MemorySegment.copy(values, 0, host, ValueLayout.JAVA_INT, 0, values.length);
        kernels.upload(dst, Tensor.host(host, DType.INT32, dst.shape()));
    }

    private static float[] concat(float[] a, float[] b) {
        float[] all = Arrays.copyOf(a, a.length + b.length);
        System.arraycopy(b, 0, all, a.length, b.length);
        return all;
    }
}
