// Turns --device and --threads into a Kernels backend: cpu, cuda (an error with the reason
// while CUDA is unavailable), or auto (CUDA when available, else the CPU with one line saying
// why not). Shared by every command that runs a model.
package org.panatrain.engine.cli;

import java.io.PrintStream;
import java.util.List;
import org.panatrain.kernels.Kernels;
import org.panatrain.kernels.cpu.CpuKernels;
import org.panatrain.kernels.cpu.Parallel;

/** Backend selection for the CLI. */
final class Backends {
    static final OptionSpec DEVICE = OptionSpec.choice("device", List.of("auto", "cpu", "cuda"),
            "where to run (default auto: CUDA if available, else the CPU)");
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
            if (device.equals("cuda")) {
                throw new IllegalStateException("--device cuda: CUDA is not available: " + cuda.reason());
            }
            err.println("using the CPU: CUDA is not available (" + cuda.reason() + ")");
        }
        return CpuKernels.create(threads);
    }
}
