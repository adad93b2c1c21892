// JMH benchmark of one whole CPU training step of a GPT-2 family model: zeroGrad, forwardBackward,
// clipGradNorm(1.0), AdamW step, reported as tokens/s. Leaves out data loading (fixed random
// tokens), gradient accumulation and the CUDA backend; scripts/bench/torch_step_reference.py times
// the same step in PyTorch.
package org.panatrain.jmh;

import java.util.Arrays;
import java.util.SplittableRandom;
import java.util.concurrent.TimeUnit;
import org.openjdk.jmh.annotations.AuxCounters;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Level;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.TearDown;
import org.openjdk.jmh.annotations.Warmup;
import org.panatrain.engine.model.Gpt2;
import org.panatrain.engine.model.Gpt2Config;
import org.panatrain.engine.model.Gpt2Step;
import org.panatrain.engine.optim.AdamW;
import org.panatrain.engine.optim.AdamWConfig;
import org.panatrain.kernels.cpu.CpuKernels;

/**
 * One training step per operation on the CPU backend with {@code threads} workers. The primary
 * score is steps per second; the secondary metric {@code tokens} counts B*T per step, so its ops/s
 * score is tokens/s. Setup runs one step and fails the run unless the loss is finite and near
 * ln(V) (the loss of an untrained model on uniform random tokens).
 *
 * <pre>{@code
 * java -jar jmh-benchmarks/target/benchmarks.jar TrainStepBenchmark -p threads=2 -rf json -rff step.json
 * }</pre>
 */
@State(Scope.Benchmark)
@BenchmarkMode(Mode.Throughput)
@OutputTimeUnit(TimeUnit.SECONDS)
@Warmup(iterations = 2, time = 5)
@Measurement(iterations = 3, time = 5)
@Fork(value = 1, jvmArgsPrepend = {"--add-modules=jdk.incubator.vector", "--enable-native-access=ALL-UNNAMED", "-Xss4m"})
public class TrainStepBenchmark {

    @Param("gpt2-mini")
    public String model;

    @Param("8")
    public int batch;

    @Param("256")
    public int seq;

    @Param("2")
    public int threads;

    /** Counts the tokens trained on in an iteration; JMH reports tokens() as a rate: tokens/s. */
    @State(Scope.Thread)
    @AuxCounters(AuxCounters.Type.OPERATIONS)
    public static class Tokens {
        private long done;

        @Setup(Level.Iteration)
        public void reset() {
            done = 0;
        }

        public long tokens() {
            return done;
        }
    }

    private CpuKernels kernels;
    private Gpt2 gpt2;
    private Gpt2Step step;
    private AdamW optimizer;
    private int[] inputs;    // (B, T)
    private int[] targets;   // (B, T)

    @Setup(Level.Trial)
    public void setUp() {
        Gpt2Config config = Gpt2Config.named(model);
        kernels = CpuKernels.create(threads);
        gpt2 = Gpt2.create(config, kernels, 1234);
        step = gpt2.newStep(batch, seq);
        optimizer = new AdamW(gpt2, AdamWConfig.defaults());
        SplittableRandom rnd = new SplittableRandom(5);
        int[] tokens = new int[batch * seq + 1];
        for (int i = 0; i < tokens.length; i++) {
            tokens[i] = rnd.nextInt(config.vocabSize());
        }
        inputs = Arrays.copyOfRange(tokens, 0, batch * seq);
        targets = Arrays.copyOfRange(tokens, 1, batch * seq + 1);
        float loss = runStep();
        double uniform = Math.log(config.vocabSize());
        if (!(Math.abs(loss - uniform) < 0.5)) {
            throw new IllegalStateException(model + ": first loss " + loss + ", expected about ln(V) = " + uniform);
        }
    }

    @TearDown(Level.Trial)
    public void tearDown() {
        optimizer.close();
        step.close();
        gpt2.close();
        kernels.close();
    }

    private float runStep() {
        optimizer.zeroGrad();
        float loss = step.forwardBackward(inputs, targets, 1f);
        optimizer.clipGradNorm(1f);
        optimizer.step(3e-4f);
        return loss;
    }

    @Benchmark
    public float trainStep(Tokens tokens) {
        float loss = runStep();
        tokens.done += (long) batch * seq;
        return loss;
    }
}
