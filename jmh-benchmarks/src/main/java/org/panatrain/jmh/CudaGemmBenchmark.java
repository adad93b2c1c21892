// JMH: cuBLASLt GEMM throughput per precision and shape, reported as TFLOPS through an
// auxiliary counter (tflop events per second). GPU only: without CUDA the setup fails at once
// with the reason, and JMH moves on to the next benchmark. It leaves out epilogues and batching.
package org.panatrain.jmh;

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
import org.panatrain.bindings.Cuda;
import org.panatrain.kernels.cuda.CudaContext;
import org.panatrain.kernels.cuda.CudaMatmul;

/** Run: {@code java -jar benchmarks.jar CudaGemmBenchmark -p precision=BF16 -p shape=square-8192}. */
@BenchmarkMode(Mode.Throughput)
@OutputTimeUnit(TimeUnit.SECONDS)
@Warmup(iterations = 2, time = 1)
@Measurement(iterations = 3, time = 2)
@Fork(value = 1, jvmArgsAppend = {"--enable-native-access=ALL-UNNAMED", "--add-modules=jdk.incubator.vector"})
@State(Scope.Thread)
public class CudaGemmBenchmark {
    /** Products queued per benchmark invocation before one synchronize. */
    static final int BATCH = 10;

    @Param({"FP32", "TF32", "BF16", "FP16"})
    public String precision;

    @Param({"square-8192", "gpt2-qkv", "gpt2-attn-proj", "gpt2-fc", "gpt2-fc-proj", "gpt2-lm-head"})
    public String shape;

    private CudaContext cuda;
    private GemmRunner gemm;

    /** TFLOP done, counted as events: JMH reports it per second, i.e. as TFLOPS. */
    @AuxCounters(AuxCounters.Type.EVENTS)
    @State(Scope.Thread)
    public static class Tflop {
        public double tflop;
    }

    @Setup(Level.Trial)
    public void setUp() {
        Cuda.Availability a = Cuda.availability();
        if (!a.cublasLtAvailable()) {
            throw new IllegalStateException("skipped: needs CUDA and cuBLASLt: "
                    + (a.available() ? a.cublasLtReason() : a.reason()));
        }
        cuda = CudaContext.open(0);
        gemm = new GemmRunner(cuda, GpuShapes.named(shape), CudaMatmul.Precision.valueOf(precision));
    }

    @Benchmark
    public void gemm(Tflop counter) {
        for (int i = 0; i < BATCH; i++) {
            gemm.run();
        }
        cuda.synchronize();
        counter.tflop += gemm.shape.flops() * BATCH / 1e12;
    }

    @TearDown(Level.Trial)
    public void tearDown() {
        if (gemm != null) {
            gemm.close();
        }
        if (cuda != null) {
            cuda.close();
        }
    }
}
