// JMH benchmark of the CPU backend's FP32 matmul (CpuMatmul) at a square size and at GPT-2's
// shapes, reported as GFLOP/s. Leaves out the CUDA matmul and the reference libraries (numpy,
// PyTorch: scripts/bench/cpu_matmul_reference.py takes the same shape strings).
package org.panatrain.jmh;

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
import org.panatrain.kernels.cpu.CpuMatmul;
import org.panatrain.kernels.cpu.Parallel;
import org.panatrain.memory.DType;
import org.panatrain.memory.HostArena;
import org.panatrain.memory.Tensor;

/**
 * One product out (M,N) = op(a) @ op(b) per operation, on a pool of {@code threads} workers.
 * The primary score is products per second; the secondary metric {@code gflop} counts 2*M*N*K/1e9
 * per product, so its ops/s score is GFLOP/s. A shape is {@code NAME:MxKxN:OP} (OP: NN, NT, TN, TT,
 * T meaning that operand is stored transposed). Setup checks 32 entries against float64 dot
 * products and fails the run if one is off.
 *
 * <pre>{@code
 * java -jar jmh-benchmarks/target/benchmarks.jar CpuMatmulBenchmark -p threads=2 -rf json -rff matmul.json
 * java -jar jmh-benchmarks/target/benchmarks.jar CpuMatmulBenchmark -p shape=big:4096x4096x4096:NN
 * }</pre>
 */
@State(Scope.Benchmark)
@BenchmarkMode(Mode.Throughput)
@OutputTimeUnit(TimeUnit.SECONDS)
@Warmup(iterations = 3, time = 1)
@Measurement(iterations = 5, time = 1)
@Fork(value = 1, jvmArgsPrepend = {"--add-modules=jdk.incubator.vector", "--enable-native-access=ALL-UNNAMED", "-Xss4m"})
public class CpuMatmulBenchmark {

    /** Same names and values as scripts/bench/cpu_matmul_reference.py's DEFAULT_SHAPES. */
    @Param({
        "square1024:1024x1024x1024:NN",
        "mini.qkv:2048x384x1152:NN", "mini.fc:2048x384x1536:NN", "mini.proj:2048x1536x384:NN",
        "mini.logits:2048x384x256:NT", "mini.fc.dx:2048x1536x384:NT", "mini.fc.dw:384x2048x1536:TN",
        "mini.proj.dx:2048x384x1536:NT", "mini.proj.dw:1536x2048x384:TN",
        "gpt2.qkv:4096x768x2304:NN", "gpt2.fc:4096x768x3072:NN", "gpt2.proj:4096x3072x768:NN",
    })
    public String shape;

    @Param("2")
    public int threads;

    /** Counts the floating-point operations of an iteration; JMH reports gflop() as a rate: GFLOP/s. */
    @State(Scope.Thread)
    @AuxCounters(AuxCounters.Type.OPERATIONS)
    public static class Flops {
        private double gflopDone;

        @Setup(Level.Iteration)
        public void reset() {
            gflopDone = 0;
        }

        public double gflop() {
            return gflopDone;
        }
    }

    private Parallel pool;
    private HostArena arena;
    private Tensor out;   // (M, N)
    private Tensor a;     // (M, K), or (K, M) when transA
    private Tensor b;     // (K, N), or (N, K) when transB
    private boolean transA, transB;
    private double gflopPerProduct;

    @Setup(Level.Trial)
    public void setUp() {
        String[] parts = shape.split(":");   // NAME, MxKxN, OP
        String[] dims = parts[1].split("x");
        int m = Integer.parseInt(dims[0]), k = Integer.parseInt(dims[1]), n = Integer.parseInt(dims[2]);
        transA = parts[2].charAt(0) == 'T';
        transB = parts[2].charAt(1) == 'T';
        gflopPerProduct = 2.0 * m * n * k / 1e9;
        pool = new Parallel(threads);
        arena = new HostArena();
        SplittableRandom rnd = new SplittableRandom(42);
        a = random(rnd, transA ? new int[] {k, m} : new int[] {m, k});
        b = random(rnd, transB ? new int[] {n, k} : new int[] {k, n});
        out = arena.allocate(DType.FP32, m, n);
        CpuMatmul.multiply(pool, out, a, transA, b, transB, null, false);
        for (int s = 0; s < 32; s++) {
            int i = rnd.nextInt(m), j = rnd.nextInt(n);
            double dot = 0, magnitude = 0;
            for (int p = 0; p < k; p++) {
                double t = (double) a.getFloat(transA ? (long) p * m + i : (long) i * k + p)
                        * b.getFloat(transB ? (long) j * k + p : (long) p * n + j);
                dot += t;
                magnitude += Math.abs(t);
            }
            float got = out.getFloat((long) i * n + j);
            if (!(Math.abs(got - dot) <= k * 0x1p-24 * magnitude)) {
                throw new IllegalStateException(shape + ": out[" + i + ", " + j + "] = " + got + ", expected " + dot);
            }
        }
    }

    private Tensor random(SplittableRandom rnd, int[] shape) {
        Tensor t = arena.allocate(DType.FP32, shape);
        for (long i = 0; i < t.numel(); i++) {
            t.setFloat(i, (float) (rnd.nextDouble() * 2 - 1));
        }
        return t;
    }

    @TearDown(Level.Trial)
    public void tearDown() {
        pool.close();
        arena.close();
    }

    @Benchmark
    public void matmul(Flops flops) {
        CpuMatmul.multiply(pool, out, a, transA, b, transB, null, false);
        flops.gflopDone += gflopPerProduct;
    }
}
