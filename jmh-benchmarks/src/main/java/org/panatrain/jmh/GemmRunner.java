// One cuBLASLt GEMM set up for timing: operands of a shape and precision filled with random
// values (uploaded from pinned memory; zeros would flatter the tensor cores' power draw), and a
// timed loop bracketed by CUDA events. Used by the JMH benchmark and the check script's report.
package org.panatrain.jmh;

import java.util.SplittableRandom;
import org.panatrain.bindings.CudaEvent;
import org.panatrain.kernels.cuda.CudaContext;
import org.panatrain.kernels.cuda.CudaMatmul;
import org.panatrain.memory.DType;
import org.panatrain.memory.DeviceArena;
import org.panatrain.memory.DeviceMemory;
import org.panatrain.memory.FloatFormats;
import org.panatrain.memory.PinnedHostArena;
import org.panatrain.memory.Tensor;

final class GemmRunner implements AutoCloseable {
    final GpuShapes.Shape shape;
    final CudaMatmul.Precision precision;
    private final CudaContext cuda;
    private final DeviceArena arena;
    private final Tensor a;   // (M, K)
    private final Tensor b;   // (K, N)
    private final Tensor out; // (M, N)

    GemmRunner(CudaContext cuda, GpuShapes.Shape shape, CudaMatmul.Precision precision) {
        this.cuda = cuda;
        this.shape = shape;
        this.precision = precision;
        DType t = precision.dtype();
        long bytes = ((long) shape.m() * shape.k() + (long) shape.k() * shape.n() + (long) shape.m() * shape.n()) * t.byteSize() + 3 * 256;
        this.arena = DeviceArena.allocate("gemm-" + shape.name() + "-" + precision, bytes);
        this.a = arena.allocate(t, shape.m(), shape.k());
        this.b = arena.allocate(t, shape.k(), shape.n());
        this.out = arena.allocate(t, shape.m(), shape.n());
        fillRandom(a, 1);
        fillRandom(b, 2);
    }

    private void fillRandom(Tensor device, long seed) {
        try (PinnedHostArena pinned = new PinnedHostArena("gemm-upload")) {
            Tensor f32 = pinned.allocate(DType.FP32, device.shape());
            SplittableRandom r = new SplittableRandom(seed);
            long n = f32.numel();
            for (long i = 0; i < n; i++) {
                f32.setFloat(i, (float) (r.nextDouble() * 2 - 1));
            }
            Tensor h = pinned.allocate(device.dtype(), device.shape());
            FloatFormats.encode(device.dtype(), f32.data(), h.data(), n);
            DeviceMemory.copy(device, h);
        }
    }

    /** Queues one product. */
    void run() {
        cuda.matmul().matmul(precision, out, a, false, b, false, null, CudaMatmul.Epilogue.NONE, false);
    }

    /** TFLOPS over {@code iterations} products after {@code warmup} untimed ones, timed with events. */
    double tflops(int warmup, int iterations) {
        for (int i = 0; i < warmup; i++) {
            run();
        }
        try (CudaEvent start = CudaEvent.create(); CudaEvent stop = CudaEvent.create()) {
            start.record(cuda.stream());
            for (int i = 0; i < iterations; i++) {
                run();
            }
            stop.record(cuda.stream());
            double seconds = stop.millisecondsSince(start) / 1e3;
            return shape.flops() * iterations / seconds / 1e12;
        }
    }

    @Override
    public void close() {
        cuda.synchronize();
        arena.close();
    }
}
