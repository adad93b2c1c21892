// Time to plan the arena of a training step: the real GPT-2 XL training graph (48 layers, B=8,
// T=1024; lifetimes read from the graph, then placed), the whole of what `panatrain plan` does for
// it (graph built, recompute scheduled, arena planned), and a stress set of 50,000 random
// lifetimes over 20,000 ops (far more buffers, and more overlap, than any GPT-2 step has).
// Single-threaded.
package org.panatrain.jmh;

import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import java.util.concurrent.TimeUnit;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.Warmup;
import org.panatrain.engine.graph.ArenaPlan;
import org.panatrain.engine.graph.RecomputePolicy;
import org.panatrain.engine.model.Gpt2Config;
import org.panatrain.engine.model.Gpt2MemoryPlan;
import org.panatrain.engine.model.Gpt2TrainingGraph;
import org.panatrain.memory.BufferLifetime;
import org.panatrain.memory.MemoryPlan;
import org.panatrain.memory.MemoryPlanner;

/**
 * Milliseconds per plan.
 *
 * <pre>{@code
 * java -jar jmh-benchmarks/target/benchmarks.jar MemoryPlannerBenchmark -f 1 -wi 3 -i 5
 * }</pre>
 */
@State(Scope.Thread)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.MILLISECONDS)
@Warmup(iterations = 3, time = 1)
@Measurement(iterations = 5, time = 1)
@Fork(value = 1, jvmArgsAppend = {"--enable-native-access=ALL-UNNAMED"})
public class MemoryPlannerBenchmark {
    private Gpt2TrainingGraph gpt2Xl;
    private List<BufferLifetime> random;

    @Setup
    public void setUp() {
        gpt2Xl = Gpt2TrainingGraph.build(Gpt2Config.named("gpt2-xl"), 8, 1024);
        random = randomLifetimes(50_000, 20_000, new Random(1));
    }

    /** Lifetimes from the graph and their placement, as a step or the plan command does it. */
    @Benchmark
    public ArenaPlan gpt2XlTrainingStep() {
        return gpt2Xl.arenaPlan();
    }

    /** `panatrain plan --model gpt2-xl --batch 8 --seq 1024 --recompute selective`: graph, schedule and plan. */
    @Benchmark
    public Gpt2MemoryPlan gpt2XlSelectivePlan() {
        return Gpt2MemoryPlan.uniform(Gpt2Config.named("gpt2-xl"), Gpt2MemoryPlan.FP32, 8, 1024, RecomputePolicy.SELECTIVE,
                Long.MAX_VALUE);
    }

    @Benchmark
    public MemoryPlan random50000() {
        return MemoryPlanner.plan(random);
    }

    /** n buffers over {@code ops} op indices: mostly short lifetimes, a quarter long, sizes up to 64 MiB. */
    static List<BufferLifetime> randomLifetimes(int n, int ops, Random r) {
        List<BufferLifetime> buffers = new ArrayList<>(n);
        for (int i = 0; i < n; i++) {
            int first = r.nextInt(ops);
            int span = r.nextInt(4) == 0 ? r.nextInt(Math.min(2000, ops - first)) : r.nextInt(Math.min(16, ops - first));
            buffers.add(new BufferLifetime("b" + i, 1 + r.nextInt(64 << 20), first, first + span, "ACTIVATION"));
        }
        return buffers;
    }
}
