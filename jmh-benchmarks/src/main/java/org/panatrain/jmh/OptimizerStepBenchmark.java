// JMH benchmark of one optimizer step alone (every parameter updated once) on the CPU backend,
// over a GPT-2 family model's parameters with the gradients of one real forward/backward pass.
// Leaves out the forward/backward (TrainStepBenchmark times the whole step) and the CUDA backend.
package org.panatrain.jmh;

import java.util.SplittableRandom;
import java.util.concurrent.TimeUnit;
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
import org.panatrain.engine.optim.Optimizer;
import org.panatrain.engine.optim.OptimizerKind;
import org.panatrain.kernels.cpu.CpuKernels;

/**
 * Milliseconds per {@code optimizer.step} with {@code threads} workers; the gradients stay those
 * of the setup's forward/backward pass, so every step does the same work.
 *
 * <pre>{@code
 * java -jar jmh-benchmarks/target/benchmarks.jar OptimizerStepBenchmark -p threads=2 -rf json -rff optim.json
 * }</pre>
 */
@State(Scope.Benchmark)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.MILLISECONDS)
@Warmup(iterations = 2, time = 3)
@Measurement(iterations = 3, time = 3)
@Fork(value = 1, jvmArgsPrepend = {"--add-modules=jdk.incubator.vector", "--enable-native-access=ALL-UNNAMED", "-Xss4m"})
public class OptimizerStepBenchmark {

    @Param("gpt2-mini")
    public String model;

    @Param({"adamw", "lion", "adafactor", "adamw8bit"})
    public String optimizer;

    @Param("2")
    public int threads;

    private CpuKernels kernels;
    private Gpt2 gpt2;
    private Optimizer opt;

    @Setup(Level.Trial)
    public void setUp() {
        Gpt2Config config = Gpt2Config.named(model);
        kernels = CpuKernels.create(threads);
        gpt2 = Gpt2.create(config, kernels, 1234);
        opt = OptimizerKind.parse(optimizer).create(gpt2, 0.1f);
        int batch = 2, seq = 64;
        SplittableRandom rnd = new SplittableRandom(5);
        int[] inputs = new int[batch * seq];
        int[] targets = new int[batch * seq];
        for (int i = 0; i < inputs.length; i++) {
            inputs[i] = rnd.nextInt(config.vocabSize());
            targets[i] = rnd.nextInt(config.vocabSize());
        }
        try (Gpt2Step step = gpt2.newStep(batch, seq)) {
            opt.zeroGrad();
            step.forwardBackward(inputs, targets, 1f);
        }
    }

    @TearDown(Level.Trial)
    public void tearDown() {
        opt.close();
        gpt2.close();
        kernels.close();
    }

    @Benchmark
    public int step() {
        opt.step(3e-4f);
        return opt.stepCount();
    }
}
