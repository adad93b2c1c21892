// Achieved bandwidth of the memory-bound CUDA kernels, as a fraction of a device-to-device copy
// measured in the same run (issue 4's goal: >= 80% for layernorm, GELU, AdamW, casts). Bytes are
// the minimum each op must move (every input read once, every output written once), so a fraction
// near 1 means the kernel is as fast as the memory allows. Timed with CUDA events, best of three
// rounds. Leaves out the matmuls (GpuCheckReport) and kernels whose time is mostly compute.
package org.panatrain.jmh;

import java.util.Locale;
import org.panatrain.bindings.Cuda;
import org.panatrain.bindings.CudaEvent;
import org.panatrain.bindings.CudaStream;
import org.panatrain.kernels.AdamWStep;
import org.panatrain.kernels.cuda.CudaKernels;
import org.panatrain.memory.DType;
import org.panatrain.memory.DeviceArena;
import org.panatrain.memory.DeviceMemory;
import org.panatrain.memory.Tensor;

/**
 * Usage: {@code java -cp benchmarks.jar org.panatrain.jmh.KernelBandwidthReport}. Output lines:
 * {@code bandwidth <op> <dtype> <GB/s> <fraction of the d2d copy>}; the first line is the copy itself.
 */
public final class KernelBandwidthReport {
    private static final int N_ELEMENTS = 1 << 26; // per tensor: 256 MiB in FP32, well beyond L2
    private static final int C = 768;              // GPT-2 124M channels, for the row kernels
    private static final int V = 50257;            // GPT-2 vocabulary, for cross-entropy

    private final CudaKernels k;
    private final CudaStream stream;
    private final DeviceArena arena;
    private double copyGbps;

    private KernelBandwidthReport(CudaKernels k, DeviceArena arena) {
        this.k = k;
        this.stream = k.context().stream();
        this.arena = arena;
    }

    public static void main(String[] args) {
        Cuda.Availability a = Cuda.availability();
        if (!a.available()) {
            System.out.println(a.reason());
            System.exit(2);
        }
        try (CudaKernels k = CudaKernels.create(0); DeviceArena arena = DeviceArena.allocate("bandwidth", 6L * 4 * N_ELEMENTS + (64 << 20))) {
            new KernelBandwidthReport(k, arena).run();
        }
    }

    private void run() {
        int n = N_ELEMENTS;
        arena.reset();
        Tensor src = arena.allocate(DType.FP32, n), dst = arena.allocate(DType.FP32, n);
        copyGbps = measure("d2d-copy", DType.FP32, 2L * 4 * n, () -> DeviceMemory.copyAsync(dst, src, stream));
        measure("copy-kernel", DType.FP32, 2L * 4 * n, () -> k.copy(dst, src));
        for (DType dt : new DType[] {DType.FP32, DType.BF16}) {
            long s = dt.byteSize();
            arena.reset();
            Tensor x = filled(dt, 0.5f, n), y = filled(dt, 0.25f, n), z = filled(dt, 0.1f, n);
            measure("gelu-forward", dt, 2 * s * n, () -> k.geluForward(y, x));
            measure("gelu-backward", dt, 4 * s * n, () -> k.geluBackward(z, x, y));
            measure("add", dt, 3 * s * n, () -> k.add(z, x, y));
            measure("accumulate", dt, 3 * s * n, () -> k.accumulate(z, x));
            int rows = n / C;
            Tensor inp = x.view(rows, C), out = y.view(rows, C), dinp = z.view(rows, C);
            Tensor w = filled(dt, 1f, C), b = filled(dt, 0f, C), dw = filled(dt, 0f, C), db = filled(dt, 0f, C);
            Tensor mean = arena.allocate(DType.FP32, rows), rstd = arena.allocate(DType.FP32, rows);
            measure("layernorm-forward", dt, 2 * s * n, () -> k.layerNormForward(out, mean, rstd, inp, w, b));
            measure("layernorm-backward", dt, 4 * s * n, () -> k.layerNormBackward(dinp, dw, db, out, inp, w, mean, rstd));
            int ceRows = n / V;
            Tensor logits = x.slice(0, ceRows, V), losses = arena.allocate(DType.FP32, ceRows);
            Tensor targets = arena.allocate(DType.INT32, ceRows);
            DeviceMemory.fillBytes(targets, (byte) 0);
            // in place: each pass turns the logits into dlogits, which are valid logits for the next
            measure("cross-entropy", dt, 2 * s * ceRows * V, () -> k.crossEntropy(losses, logits, targets, 1f / ceRows));
            arena.reset();
            Tensor param = filled(DType.FP32, 0.1f, n), m = filled(DType.FP32, 0f, n), v = filled(DType.FP32, 0f, n);
            Tensor grad = filled(dt, 0.01f, n);
            Tensor copy = dt == DType.FP32 ? null : arena.allocate(dt, n);
            AdamWStep step = new AdamWStep(1e-4f, 0.9f, 0.95f, 1e-8f, 0.1f, 1);
            measure("adamw", dt, (24 + s + (copy == null ? 0 : s)) * n, () -> k.adamW(param, grad, m, v, copy, step));
            if (dt != DType.FP32) {
                Tensor low = arena.allocate(dt, n), amax = filled(DType.FP32, 0f, 1);
                measure("cast-from-fp32", dt, (4 + s) * n, () -> k.cast(low, param, amax));
                measure("cast-to-fp32", dt, (4 + s) * n, () -> k.cast(param, low, null));
            }
        }
    }

    private Tensor filled(DType dt, float value, int n) {
        Tensor t = arena.allocate(dt, n);
        k.fill(t, value);
        return t;
    }

    /** Best GB/s of three rounds of 20 runs; prints the line and returns the GB/s. */
    private double measure(String op, DType dt, long bytes, Runnable body) {
        double best = 0;
        try (CudaEvent start = CudaEvent.create(); CudaEvent end = CudaEvent.create()) {
            for (int i = 0; i < 3; i++) {
                body.run(); // warm-up (and the first call's one-time scratch allocation)
            }
            for (int round = 0; round < 3; round++) {
                int runs = 20;
                start.record(stream);
                for (int i = 0; i < runs; i++) {
                    body.run();
                }
                end.record(stream);
                end.synchronize();
                double seconds = end.millisecondsSince(start) / 1e3;
                best = Math.max(best, bytes * (double) runs / seconds / 1e9);
            }
        }
        System.out.printf(Locale.ROOT, "bandwidth %s %s %.0f %.2f%n", op, dt.name().toLowerCase(Locale.ROOT), best,
                copyGbps == 0 ? 1.0 : best / copyGbps);
        return best;
    }
}
