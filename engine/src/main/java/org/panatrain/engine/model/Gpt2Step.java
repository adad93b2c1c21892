// A GPT-2 training step for micro-batches of B x T tokens: runs the Gpt2TrainingGraph on an
// Executor whose arena, laid out by the memory planner, is allocated here once, with the
// recompute segments the chosen per-layer policies insert.
package org.panatrain.engine.model;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.panatrain.engine.graph.Executor;
import org.panatrain.engine.graph.Graph;
import org.panatrain.engine.graph.RecomputePolicy;
import org.panatrain.engine.graph.Scheduler;
import org.panatrain.engine.graph.TensorSpec;
import org.panatrain.kernels.Kernels;
import org.panatrain.memory.DType;
import org.panatrain.memory.Tensor;

/**
 * Forward, backward and evaluation of a {@link Gpt2} on fixed-size micro-batches; nothing is
 * allocated per call except the arrays {@code logits} returns.
 *
 * <pre>{@code
 * try (Gpt2Step step = model.newStep(B, T)) {
 *     for (int micro = 0; micro < gradAccum; micro++) {
 *         loss += step.forwardBackward(inputs[micro], targets[micro], 1f / gradAccum) / gradAccum;
 *     }
 *     float evalLoss = step.loss(valInputs, valTargets);
 *     float[] next = step.logits(prompt, promptLength - 1);   // (V)
 * }
 * }</pre>
 */
public final class Gpt2Step implements AutoCloseable {
    private final Gpt2 model;
    private final Kernels kernels;
    private final int B;
    private final int T;
    private final int V;
    private final Graph graph;
    private final Executor executor;
    private final Scheduler.Schedule schedule;
    private final int lossOp;          // index of the CrossEntropy op; the forward is [0, lossOp)
    private final int scaleSlot;       // runtime scalar: d(loss)/d(each token's loss)
    private final Tensor tokens;       // (B,T) INT32 on the backend
    private final Tensor targets;      // (B,T) INT32 on the backend
    private final Tensor losses;       // (B,T) FP32 on the backend
    private final Tensor logits;       // (B,T,V) on the backend
    private final Arena staging = Arena.ofShared();
    private final Tensor hostTokens;   // (B,T)
    private final Tensor hostTargets;  // (B,T)
    private final Tensor hostLosses;   // (B,T)

    Gpt2Step(Gpt2 model, int B, int T, List<RecomputePolicy> policies) {
        Gpt2TrainingGraph plain = Gpt2TrainingGraph.build(model.config(), B, T);
        this.schedule = plain.schedule(policies);
        Gpt2TrainingGraph training = plain.scheduled(schedule);
        this.model = model;
        this.kernels = model.kernels();
        this.B = B;
        this.T = T;
        this.V = model.config().vocabSize();
        this.graph = training.graph();
        Map<TensorSpec, Tensor> external = new HashMap<>();
        for (Parameter p : model.parameters()) {
            TensorSpec s = training.parameters().get(p.name());
            external.put(s, p.value());
            external.put(training.gradients().get(s), p.grad());
        }
        this.scaleSlot = training.scaleSlot();
        this.lossOp = training.lossOp();
        this.executor = new Executor(graph, kernels, external, training.arenaPlan().layout());
        this.tokens = executor.tensor(training.tokens());
        this.targets = executor.tensor(training.targets());
        this.losses = executor.tensor(training.losses());
        this.logits = executor.tensor(training.logits());
        this.hostTokens = Tensor.host(staging.allocate((long) B * T * 4, 64), DType.INT32, B, T);
        this.hostTargets = Tensor.host(staging.allocate((long) B * T * 4, 64), DType.INT32, B, T);
        this.hostLosses = Tensor.host(staging.allocate((long) B * T * 4, 64), DType.FP32, B, T);
    }

    /**
     * Forward and backward of one micro-batch: returns the mean loss over its B*T tokens and adds
     * d(lossWeight * meanLoss)/d(param) to every parameter gradient.
     */
    public float forwardBackward(int[] inputs, int[] targetTokens, float lossWeight) {
        upload(tokens, hostTokens, inputs, "inputs");
        upload(targets, hostTargets, targetTokens, "targets");
        executor.setScalar(scaleSlot, lossWeight / (B * T));
        executor.run(0, executor.opCount());
        return meanLoss();
    }

    /** The mean loss over the B*T tokens, forward only (evaluation); gradients are untouched. */
    public float loss(int[] inputs, int[] targetTokens) {
        upload(tokens, hostTokens, inputs, "inputs");
        upload(targets, hostTargets, targetTokens, "targets");
        executor.setScalar(scaleSlot, 0f);
        executor.run(0, lossOp + 1);
        return meanLoss();
    }

    /** The V logits of batch row 0 at {@code position}, forward only (for sampling). */
    public float[] logits(int[] inputs, int position) {
        if (position < 0 || position >= T) {
            throw new IllegalArgumentException("position " + position + " is outside 0.." + (T - 1));
        }
        forwardToLogits(inputs);
        return download(logits.slice((long) position * V, V));
    }

    /** All (B,T,V) logits, row-major, forward only (for evaluation tools and tests; allocates). */
    public float[] logits(int[] inputs) {
        forwardToLogits(inputs);
        return download(logits);
    }

    /** The graph this step runs: tensor table, ops, lifetimes. */
    public Graph graph() {
        return graph;
    }

    /** Bytes of the activation arena. */
    public long arenaBytes() {
        return executor.arenaBytes();
    }

    /** The recompute schedule this step runs, with its model and recompute FLOPs. */
    public Scheduler.Schedule schedule() {
        return schedule;
    }

    /** The model this step trains. */
    public Gpt2 model() {
        return model;
    }

    private void forwardToLogits(int[] inputs) {
        upload(tokens, hostTokens, inputs, "inputs");
        executor.run(0, lossOp);
    }

    private float meanLoss() {
        kernels.download(hostLosses, losses);
        double sum = 0;
        for (int i = 0; i < B * T; i++) {
            sum += hostLosses.getFloat(i);
        }
        return (float) (sum / (B * T));
    }

    private void upload(Tensor dst, Tensor host, int[] values, String what) {
        if (values.length != B * T) {
            throw new IllegalArgumentException(what + " has " + values.length + " tokens, the step takes B*T = " + B * T);
        }
        for (int i = 0; i < values.length; i++) {
            if (values[i] < 0 || values[i] >= V) {
                throw new IllegalArgumentException(what + "[" + i + "] = " + values[i]
                        + " is outside the vocabulary of " + V);
            }
        }
        MemorySegment.copy(values, 0, host.data(), ValueLayout.JAVA_INT, 0, values.length);
        kernels.upload(dst, host);
    }

    private float[] download(Tensor src) {
        try (Arena arena = Arena.ofShared()) { // shared: the CPU backend copies on its worker threads
            Tensor host = Tensor.host(arena.allocate(src.byteSize(), 64), DType.FP32, src.shape());
            kernels.download(host, src);
            return host.toFloatArray();
        }
    }

    @Override
    public void close() {
        executor.close();
        staging.close();
    }
}
