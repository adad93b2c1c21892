// Whether the CUDA backend can be used, and why not. This version has no CUDA backend yet, so
// probe() always says so; when the bindings' Cuda.availability() lands, probe() asks it instead
// and nothing else in the CLI changes.
package org.panatrain.engine.cli;

import java.util.List;

/**
 * CUDA availability as `info` and `--device` report it.
 *
 * @param available whether `--device cuda` can run
 * @param reason    why not (empty when available)
 * @param devices   the GPUs found, as "index: name"
 */
record CudaStatus(boolean available, String reason, List<String> devices) {

    static CudaStatus probe() {
        return new CudaStatus(false, "the CUDA backend is not built in this version of Panatrain", List.of());
    }
}
