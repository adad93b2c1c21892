// Throughput of the bulk FP32 <-> narrow-format conversions (elements per second), as used when
// loading/saving weights and when emulating mixed precision on the CPU. Single-threaded.
package org.panatrain.jmh;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.util.Random;
import java.util.concurrent.TimeUnit;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Level;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OperationsPerInvocation;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.TearDown;
import org.openjdk.jmh.annotations.Warmup;
import org.panatrain.memory.DType;
import org.panatrain.memory.FloatFormats;

/**
 * Elements per second of {@link FloatFormats#encode(DType, MemorySegment, MemorySegment, long)}
 * and {@code decode} over N normally distributed values.
 *
 * <pre>{@code
 * java -jar jmh-benchmarks/target/benchmarks.jar FloatFormatsBenchmark -f 1 -wi 3 -i 5
 * }</pre>
 */
@State(Scope.Thread)
@BenchmarkMode(Mode.Throughput)
@OutputTimeUnit(TimeUnit.SECONDS)
@Warmup(iterations = 3, time = 1)
@Measurement(iterations = 5, time = 1)
@Fork(value = 1, jvmArgsAppend = {"--enable-native-access=ALL-UNNAMED"})
public class FloatFormatsBenchmark {
    /** Elements per conversion: 4 MiB of FP32, larger than L2. */
    static final int N = 1 << 20;

    @Param({"BF16", "FP16", "FP8_E4M3", "FP8_E5M2"})
    public String dtype;

    private Arena arena;
    private DType type;
    private MemorySegment f32;   // (N,) FP32
    private MemorySegment codes; // (N,) dtype

    @Setup(Level.Trial)
    public void setUp() {
        type = DType.valueOf(dtype);
        arena = Arena.ofConfined();
        f32 = arena.allocate(4L * N, 64);
        codes = arena.allocate((long) N * type.byteSize(), 64);
        Random random = new Random(1);
        for (int i = 0; i < N; i++) {
            f32.setAtIndex(ValueLayout.JAVA_FLOAT, i, (float) random.nextGaussian());
        }
        FloatFormats.encode(type, f32, codes, N);
    }

    @TearDown(Level.Trial)
    public void tearDown() {
        arena.close();
    }

    @Benchmark
    @OperationsPerInvocation(N)
    public void encode() {
        FloatFormats.encode(type, f32, codes, N);
    }

    @Benchmark
    @OperationsPerInvocation(N)
    public void decode() {
        FloatFormats.decode(type, codes, f32, N);
    }
}
