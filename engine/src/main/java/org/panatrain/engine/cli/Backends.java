// Turns --device and --threads into a Kernels backend: cpu; cuda (the first GPU, or an error with
// the reason CUDA is unavailable); or auto (the first GPU when CUDA is available, else the CPU with
// one line saying why not). Shared by every command that runs a model. Leaves out picking another
// GPU than the first (multi-GPU comes with NCCL).
package org.panatrain.engine.cli;

import java.io.PrintStream;
import java.util.List;
import org.panatrain.kernels.Kernels;
import org.panatrain.kernels.cpu.CpuKernels;
import org.panatrain.kernels.cpu.Parallel;
import org.panatrain.kernels.cuda.CudaKernels;

/** Backend selection for the CLI. */
final class Backends {
    static final OptionSpec DEVICE = OptionSpec.choice("device", List.of("auto", "cpu", "cuda"),
            "where to run (default auto: the first GPU if CUDA is available, else the CPU)");
    static final OptionSpec THREADS = OptionSpec.of("threads", OptionSpec.Kind.POSITIVE_INT, "N",
            "CPU threads (default: panatrain.threads, else all processors)");

    private Backends() {
    }

    /** Opens the backend the options ask for; `auto` explains a CPU fallback on {@code err}. */
    static Kernels open(ParsedOptions options, PrintStream err) {
        String device = options.text(DEVICE.name(), "auto");
        int threads = options.intValue(THREADS.name(), Parallel.defaultThreads());
        if (!device.equals("cpu")) {
            CudaStatus cuda = CudaStatus.probe();
            if (cuda.available()) {
                CudaKernels kernels = CudaKernels.create(0);
                err.println("using " + kernels.name() + " (" + cuda.devices().getFirst() + ")");
                return kernels;
            }
            if (device.equals("cuda")) {
                throw new IllegalStateException("--device cuda: CUDA is not available: " + cuda.reason());
            }
            err.println("using the CPU: CUDA is not available: " + cuda.reason());
        }
        return CpuKernels.create(threads);
    }
}
