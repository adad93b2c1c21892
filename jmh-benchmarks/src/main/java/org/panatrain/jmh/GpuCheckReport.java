// The measurements of scripts/gpu-check.sh, printed one per line as "key value" so the script
// can tabulate them: GEMM TFLOPS per precision and shape, pinned and pageable host-to-device
// GB/s, and the host cost of an FFM downcall and of a kernel launch. Exits 2 with the reason
// when CUDA is absent. It leaves out statistics beyond a best-of-three.
package org.panatrain.jmh;

import java.util.Locale;
import org.panatrain.bindings.Cuda;
import org.panatrain.bindings.CudaEvent;
import org.panatrain.bindings.DeviceProperties;
import org.panatrain.kernels.cuda.CudaContext;
import org.panatrain.kernels.cuda.CudaMatmul;
import org.panatrain.memory.DType;
import org.panatrain.memory.DeviceArena;
import org.panatrain.memory.DeviceMemory;
import org.panatrain.memory.HostArena;
import org.panatrain.memory.PinnedHostArena;
import org.panatrain.memory.Tensor;

/**
 * Usage: {@code java -cp benchmarks.jar org.panatrain.jmh.GpuCheckReport [--quick | --probe | --shapes]}.
 * Output lines: {@code gemm <precision> <shape> <tflops>}, {@code h2d <pinned|pageable> <GB/s>},
 * {@code downcall_ns <ns>}, {@code launch_ns <ns>}, {@code device <name>}. {@code --probe} only
 * says whether CUDA is there (exit 0) or why not (exit 2); {@code --shapes} prints
 * {@code shape <name> <M> <N> <K>} lines (for the PyTorch comparison) and needs no GPU;
 * {@code --quick} measures only BF16 and the 8192^3 product besides the copies.
 */
public final class GpuCheckReport {
    private GpuCheckReport() {
    }

    public static void main(String[] args) {
        String mode = args.length > 0 ? args[0] : "";
        if (mode.equals("--shapes")) {
            for (GpuShapes.Shape s : GpuShapes.ALL) {
                System.out.println("shape " + s.name() + " " + s.m() + " " + s.n() + " " + s.k());
            }
            return;
        }
        Cuda.Availability a = Cuda.availability();
        if (!a.available()) {
            System.out.println(a.reason());
            System.exit(2);
        }
        if (mode.equals("--probe")) {
            System.out.println("cuda ok: " + a.deviceCount() + " device(s), driver " + a.driverLibrary()
                    + ", cuBLASLt " + (a.cublasLtLibrary() != null ? a.cublasLtLibrary() : "absent: " + a.cublasLtReason()));
            return;
        }
        boolean quick = mode.equals("--quick");
        try (CudaContext cuda = CudaContext.open(0)) {
            DeviceProperties d = cuda.properties();
            System.out.println("device " + d.name() + " sm_" + d.ccMajor() + d.ccMinor() + " " + d.smCount() + " SMs");
            for (GpuShapes.Shape s : GpuShapes.ALL) {
                for (CudaMatmul.Precision p : CudaMatmul.Precision.values()) {
                    if (quick && !s.name().equals("square-8192") && p != CudaMatmul.Precision.BF16) {
                        continue;
                    }
                    try (GemmRunner g = new GemmRunner(cuda, s, p)) {
                        int iterations = s.flops() > 1e12 ? 10 : 50;
                        double best = 0;
                        for (int r = 0; r < 3; r++) {
                            best = Math.max(best, g.tflops(r == 0 ? 3 : 1, iterations));
                        }
                        System.out.printf(Locale.ROOT, "gemm %s %s %.1f%n", p.name().toLowerCase(Locale.ROOT), s.name(), best);
                    }
                }
            }
            copies(cuda);
            overheads(cuda);
        }
    }

    /** Host-to-device GB/s of 256 MiB from pinned and from pageable memory, best of three. */
    private static void copies(CudaContext cuda) {
        int n = 64 << 20; // FP32 elements: 256 MiB
        try (PinnedHostArena pinned = new PinnedHostArena("h2d-pinned"); HostArena pageable = new HostArena();
             DeviceArena dev = DeviceArena.allocate("h2d", 4L * n)) {
            Tensor d = dev.allocate(DType.FP32, n);
            Tensor[] sources = {pinned.allocate(DType.FP32, n), pageable.allocate(DType.FP32, n)};
            String[] names = {"pinned", "pageable"};
            for (int s = 0; s < 2; s++) {
                double best = 0;
                for (int r = 0; r < 4; r++) {
                    try (CudaEvent start = CudaEvent.create(); CudaEvent stop = CudaEvent.create()) {
                        start.record(cuda.stream());
                        DeviceMemory.copyAsync(d, sources[s], cuda.stream());
                        stop.record(cuda.stream());
                        double seconds = stop.millisecondsSince(start) / 1e3;
                        if (r > 0) {
                            best = Math.max(best, 4.0 * n / seconds / 1e9);
                        }
                    }
                }
                System.out.printf(Locale.ROOT, "h2d %s %.1f%n", names[s], best);
            }
        }
    }

    /** Host nanoseconds per cuCtxGetCurrent downcall and per launch of an empty kernel. */
    private static void overheads(CudaContext cuda) {
        try (LaunchFixture f = new LaunchFixture(cuda)) {
            int n = 200_000;
            for (int i = 0; i < n; i++) {
                f.downcall();
            }
            long t0 = System.nanoTime();
            for (int i = 0; i < n; i++) {
                f.downcall();
            }
            System.out.printf(Locale.ROOT, "downcall_ns %.1f%n", (System.nanoTime() - t0) / (double) n);
            int launches = 20_000;
            for (int i = 0; i < launches; i++) {
                f.launch();
            }
            cuda.synchronize();
            long t1 = System.nanoTime();
            for (int i = 0; i < launches; i++) {
                f.launch();
            }
            long host = System.nanoTime() - t1;
            cuda.synchronize();
            System.out.printf(Locale.ROOT, "launch_ns %.1f%n", host / (double) launches);
        }
    }
}
