// Turns --device and --threads into a Kernels backend: cpu; cuda (an error with the reason: CUDA
// is unavailable, or training on it is not wired into the CLI in this version); or auto (the CPU,
// with one line saying why CUDA is not used). Shared by every command that runs a model.
package org.panatrain.engine.cli;

import java.io.PrintStream;
import java.util.List;
import org.panatrain.kernels.Kernels;
import org.panatrain.kernels.cpu.CpuKernels;
import org.panatrain.kernels.cpu.Parallel;

/** Backend selection for the CLI. */
final class Backends {
    static final OptionSpec DEVICE = OptionSpec.choice("device", List.of("auto", "cpu", "cuda"),
            "where to run (default auto: the CPU in this version, with one line saying why not CUDA)");
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
            String why = cuda.available()
                    ? "CUDA is available (" + String.join(", ", cuda.devices()) + ") but training on it is not wired into the CLI in this version"
                    : "CUDA is not available: " + cuda.reason();
            if (device.equals("cuda")) {
                throw new IllegalStateException("--device cuda: " + why);
            }
            err.println("using the CPU: " + why);
        }
        return CpuKernels.create(threads);
    }
}
