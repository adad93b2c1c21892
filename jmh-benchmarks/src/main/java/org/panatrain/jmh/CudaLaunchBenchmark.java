// JMH: the host cost of one FFM downcall into the CUDA driver (cuCtxGetCurrent, which does no
// work) and of one kernel launch (cuLaunchKernel of an empty kernel, arguments reused). GPU only:
// without a driver the setup fails at once with the reason. It leaves out CUDA graphs.
package org.panatrain.jmh;

import java.util.concurrent.TimeUnit;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Level;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.TearDown;
import org.openjdk.jmh.annotations.Warmup;
import org.panatrain.bindings.Cuda;
import org.panatrain.kernels.cuda.CudaContext;

/** Run: {@code java -jar benchmarks.jar CudaLaunchBenchmark}. */
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.NANOSECONDS)
@Warmup(iterations = 3, time = 1)
@Measurement(iterations = 5, time = 1)
@Fork(value = 1, jvmArgsAppend = {"--enable-native-access=ALL-UNNAMED", "--add-modules=jdk.incubator.vector"})
@State(Scope.Thread)
public class CudaLaunchBenchmark {
    private CudaContext cuda;
    private LaunchFixture fixture;

    @Setup(Level.Trial)
    public void setUp() {
        Cuda.Availability a = Cuda.availability();
        if (!a.available()) {
            throw new IllegalStateException("skipped: needs a CUDA device: " + a.reason());
        }
        cuda = CudaContext.open(0);
        fixture = new LaunchFixture(cuda);
    }

    /** One FFM downcall into libcuda: the FFM overhead plus the driver's cheapest entry point. */
    @Benchmark
    public int downcall() {
        return fixture.downcall();
    }

    /**
     * One kernel launch. When the GPU drains launches more slowly than they are queued the queue
     * fills and this measures the device's launch rate instead; compare with downcall().
     */
    @Benchmark
    public void launch() {
        fixture.launch();
    }

    @TearDown(Level.Trial)
    public void tearDown() {
        if (fixture != null) {
            fixture.close();
        }
        if (cuda != null) {
            cuda.close();
        }
    }
}
