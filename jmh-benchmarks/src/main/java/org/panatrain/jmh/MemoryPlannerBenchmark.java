// Time to plan the arena of a training step: a synthetic GPT-2 XL step (48 layers, B=8, T=1024)
// shaped like the engine's graph (per layer the forward activations of ln_1, attention, c_proj,
// the residuals, ln_2, c_fc, GELU, each kept until the mirrored backward op, plus short-lived
// gradients and the attention scratch), and a stress set of random lifetimes. Single-threaded.
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
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.Warmup;
import org.panatrain.memory.BufferLifetime;
import org.panatrain.memory.MemoryPlan;
import org.panatrain.memory.MemoryPlanner;

/**
 * Milliseconds per {@link MemoryPlanner#plan} call.
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
    /** "gpt2-xl": the synthetic step; "random-50000": 50,000 random lifetimes over 20,000 ops. */
    @Param({"gpt2-xl", "random-50000"})
    public String lifetimes;

    private List<BufferLifetime> buffers;

    @Setup
    public void setUp() {
        buffers = switch (lifetimes) {
            case "gpt2-xl" -> syntheticGpt2Step(48, 25, 1600, 50257, 8, 1024);
            case "random-50000" -> randomLifetimes(50_000, 20_000, new Random(1));
            default -> throw new IllegalArgumentException("unknown lifetime set " + lifetimes);
        };
    }

    @Benchmark
    public MemoryPlan plan() {
        return MemoryPlanner.plan(buffers);
    }

    /**
     * A training step's arena as a stack: forward tensor k is written at op k and last read by the
     * backward op that mirrors it (op 2F-1-k); its gradient lives from the op before that to the
     * op after; the attention backward has a one-op (B,NH,T,T) scratch.
     */
    static List<BufferLifetime> syntheticGpt2Step(int L, int NH, int C, int V, int B, int T) {
        long f = 4;   // FP32
        long btc = f * B * T * C;
        long bt = f * B * T;
        long att = f * B * NH * T * T;
        List<long[]> forward = new ArrayList<>();   // {bytes, is attention}
        forward.add(new long[] {btc, 0});           // encoded
        for (int l = 0; l < L; l++) {
            for (long bytes : new long[] {btc, bt, bt, 3 * btc}) {   // ln_1 out/mean/rstd, qkv
                forward.add(new long[] {bytes, 0});
            }
            forward.add(new long[] {att, 1});       // att
            for (long bytes : new long[] {btc, btc, btc, btc, bt, bt, 4 * btc, 4 * btc, btc, btc}) {
                forward.add(new long[] {bytes, 0}); // attn out, c_proj, res_1, ln_2 x3, c_fc, gelu, c_proj, res_2
            }
        }
        forward.add(new long[] {btc, 0});           // ln_f
        forward.add(new long[] {f * B * T * V, 0}); // logits, later dlogits in place
        int F = forward.size();
        List<BufferLifetime> buffers = new ArrayList<>();
        buffers.add(new BufferLifetime("tokens", 4L * B * T, 0, 2 * F - 1, "ACTIVATION"));
        for (int k = 0; k < F; k++) {
            long bytes = forward.get(k)[0];
            int back = 2 * F - 1 - k;
            buffers.add(new BufferLifetime("act" + k, bytes, k, back, "ACTIVATION"));
            if (k < F - 1) {
                buffers.add(new BufferLifetime("d.act" + k, bytes, back - 1, Math.min(back + 1, 2 * F - 1),
                        "ACTIVATION_GRADIENT"));
            }
            if (forward.get(k)[1] == 1) {
                buffers.add(new BufferLifetime("scratch" + k, bytes, back, back, "TEMPORARY"));
            }
        }
        return buffers;
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
