// A GPT-2 training step for micro-batches of B x T tokens: runs the Gpt2TrainingGraph on an
// Executor whose arena, laid out by the memory planner, is allocated here once, with the
// recompute segments the chosen per-layer policies insert. With dropout, the graph has dropout
// sites: training micro-steps run them at the step's probability, micro-step m after
// dropoutSeed(s) with the masks of seed SplitMix64(s, m); evaluation and sampling run them at
// probability 0 (an exact copy).
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
import org.panatrain.kernels.Philox;
import org.panatrain.kernels.SplitMix64;
import org.panatrain.memory.DType;
import org.panatrain.memory.Tensor;

/**
 * Forward, backward and evaluation of a {@link Gpt2} on fixed-size micro-batches; nothing is
 * allocated per call except the arrays {@code logits} returns.
 *
 * <pre>{@code
 * try (Gpt2Step step = model.newStep(B, T)) {      // newStep(B, T, policies, 0.1f): with dropout
 *     step.dropoutSeed(stepSeed);                   // with dropout: the masks of this step's micro-steps
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
    private final float dropout;       // the training dropout probability; 0: the graph has no dropout
    private final int dropoutSlot;     // runtime scalar: the dropout probability of a run
    private final int seedSlot;        // runtime seed: the dropout seed of a micro-step
    private long dropoutSeed;          // the seed of the current training step
    private int microStep;             // training micro-steps run since dropoutSeed was set
    private final Tensor tokens;       // (B,T) INT32 on the backend
    private final Tensor targets;      // (B,T) INT32 on the backend
    private final Tensor losses;       // (B,T) FP32 on the backend
    private final Tensor logits;       // (B,T,V) on the backend
    private final Arena staging = Arena.ofShared();
    private final Tensor hostTokens;   // (B,T)
    private final Tensor hostTargets;  // (B,T)
    private final Tensor hostLosses;   // (B,T)

    Gpt2Step(Gpt2 model, int B, int T, List<RecomputePolicy> policies, float dropout) {
        Philox.threshold(dropout);   // 0 <= dropout < 1
        Gpt2TrainingGraph plain = Gpt2TrainingGraph.build(model.config(), B, T, dropout > 0);
        this.dropout = dropout;
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
        this.dropoutSlot = training.dropoutSlot();
        this.seedSlot = training.seedSlot();
        this.lossOp = training.lossOp();
        this.executor = new Executor(graph, kernels, external, training.arenaPlan().layout());
        this.tokens = executor.tensor(training.tokens());
        this.targets = executor.tensor(training.targets());
        this.losses = executor.tensor(training.losses());
        this.logits = executor.tensor(training.logits());
        this.hostTokens = Tensor.host(staging.allocate((long) B * T * 4, 64), DType.INT32, B, T);
        this.hostTargets = Tensor.host(staging.allocate((long) B * T * 4, 64), DType.INT32, B, T);
        this.hostLosses = Tensor.host(staging.allocate((long) B * T * 4, 64), DType.FP32, B, T);
        setDropoutProbability(dropout);
        dropoutSeed(0L);
    }

    /**
     * Seeds the dropout masks of the training micro-steps that follow: the m-th of them (from 0)
     * draws the masks of SplitMix64 output m of {@code seed} (each site mixes in its own id), so
     * the same seed gives the same masks. Nothing to do without dropout.
     */
    public void dropoutSeed(long seed) {
        dropoutSeed = seed;
        microStep = 0;
        if (seedSlot >= 0) {
            executor.setSeed(seedSlot, SplitMix64.output(seed, 0));
        }
    }

    /** The dropout probability of the training micro-steps; 0 when the graph has no dropout. */
    public float dropout() {
        return dropout;
    }

    /**
     * Forward and backward of one micro-batch: returns the mean loss over its B*T tokens and adds
     * d(lossWeight * meanLoss)/d(param) to every parameter gradient.
     */
    public float forwardBackward(int[] inputs, int[] targetTokens, float lossWeight) {
        upload(tokens, hostTokens, inputs, "inputs");
        upload(targets, hostTargets, targetTokens, "targets");
        return forwardBackward(lossWeight);
    }

    /**
     * {@link #forwardBackward(int[], int[], float)} on the tokens already placed in
     * {@link #inputTokens()} and {@link #targetTokens()} (by a loader staging batches on the device,
     * ordered on the backend's stream before this call); their range is the placer's to check.
     */
    public float forwardBackward(float lossWeight) {
        executor.setScalar(scaleSlot, lossWeight / (B * T));
        executor.run(0, executor.opCount());
        nextMicroStep();
        return meanLoss();
    }

    /** The (B,T) INT32 input tokens on the backend that the next forward reads. */
    public Tensor inputTokens() {
        return tokens;
    }

    /** The (B,T) INT32 target tokens on the backend that the next loss reads. */
    public Tensor targetTokens() {
        return targets;
    }

    /** The mean loss over the B*T tokens, forward only (evaluation); gradients are untouched. */
    public float loss(int[] inputs, int[] targetTokens) {
        upload(tokens, hostTokens, inputs, "inputs");
        upload(targets, hostTargets, targetTokens, "targets");
        executor.setScalar(scaleSlot, 0f);
        runWithoutDropout(lossOp + 1);
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
        runWithoutDropout(lossOp);
    }

    /** Ops [0, to) with the dropout probability 0 (evaluation), then the training probability again. */
    private void runWithoutDropout(int to) {
        setDropoutProbability(0f);
        try {
            executor.run(0, to);
        } finally {
            setDropoutProbability(dropout);
        }
    }

    private void setDropoutProbability(float p) {
        if (dropoutSlot >= 0) {
            executor.setScalar(dropoutSlot, p);
        }
    }

    /** The next training micro-step draws the masks of the next SplitMix64 output of the step's seed. */
    private void nextMicroStep() {
        microStep++;
        if (seedSlot >= 0) {
            executor.setSeed(seedSlot, SplitMix64.output(dropoutSeed, microStep));
        }
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
