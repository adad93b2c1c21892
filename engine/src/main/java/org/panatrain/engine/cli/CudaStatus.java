// Whether CUDA can be used, and why not, as `info` and `--device` report it: the bindings'
// Cuda.availability() (driver found, cuInit succeeded, devices counted), reduced to what the CLI
// prints. Training itself still runs on the CPU: the engine's CUDA path is not wired into the CLI
// in this version, which Backends says when CUDA is asked for.
package org.panatrain.engine.cli;

import java.util.List;
import java.util.stream.IntStream;
import org.panatrain.bindings.Cuda;

/**
 * CUDA availability for the CLI.
 *
 * @param available whether a CUDA driver and a device were found
 * @param reason    why not (empty when available)
 * @param devices   the GPUs found, as "cuda:index"
 */
record CudaStatus(boolean available, String reason, List<String> devices) {

    static CudaStatus probe() {
        Cuda.Availability a = Cuda.availability();
        List<String> devices = IntStream.range(0, a.deviceCount()).mapToObj(i -> "cuda:" + i).toList();
        return new CudaStatus(a.available(), a.available() ? "" : a.reason(), devices);
    }
}
