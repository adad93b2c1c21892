// Whether CUDA can be used in this process, and why not: the driver library, cuInit, a device,
// and cuBLASLt, each checked once. A missing piece is a reason string, never an exception.
// It leaves out choosing a device; callers do that with the count reported here.
package org.panatrain.bindings;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.util.List;

/**
 * Entry point of the bindings: is CUDA usable here?
 *
 * <pre>{@code
 * Cuda.Availability a = Cuda.availability();
 * if (!a.available()) {
 *     System.err.println("CUDA not used: " + a.reason());
 * }
 * }</pre>
 */
public final class Cuda {

    /**
     * The outcome of probing CUDA.
     *
     * @param available       true when the driver loaded, cuInit succeeded and there is a device
     * @param reason          why not, or "ok"
     * @param deviceCount     devices the driver reports (0 when not available)
     * @param driverLibrary   where libcuda came from, or null
     * @param cublasLtLibrary where libcublasLt came from, or null
     * @param cublasLtReason  why cuBLASLt is missing, or null when found
     * @param searched        every location tried, driver first, then cuBLASLt
     */
    public record Availability(boolean available, String reason, int deviceCount, String driverLibrary,
                               String cublasLtLibrary, String cublasLtReason, List<String> searched) {
        public Availability {
            searched = List.copyOf(searched);
        }

        /** True when the matmuls can run too: CUDA is available and cuBLASLt was found. */
        public boolean cublasLtAvailable() {
            return available && cublasLtLibrary != null;
        }
    }

    private static final class Probe {
        static final Availability RESULT = probe();
    }

    private Cuda() {
    }

    /** Probes once per process; later calls return the same answer. */
    public static Availability availability() {
        return Probe.RESULT;
    }

    private static Availability probe() {
        NativeLibraries.Found driver = NativeLibraries.cudaDriver();
        NativeLibraries.Found lt = NativeLibraries.cublasLt();
        List<String> searched = new java.util.ArrayList<>(driver.searched());
        searched.addAll(lt.searched());
        if (driver.lookup() == null) {
            return new Availability(false, "no CUDA driver: " + driver.reason(), 0, null,
                    lt.location(), lt.reason(), searched);
        }
        int count;
        try {
            int rc = CudaDriver.cuInit(0);
            if (rc != CudaDriver.CUDA_SUCCESS) {
                return new Availability(false, "cuInit failed: " + CudaDriver.errorName(rc) + " (" + CudaDriver.errorString(rc) + ")",
                        0, driver.location(), lt.location(), lt.reason(), searched);
            }
            try (Arena a = Arena.ofConfined()) {
                MemorySegment n = a.allocate(ValueLayout.JAVA_INT);
                CudaDriver.check(CudaDriver.cuDeviceGetCount(n), "cuDeviceGetCount");
                count = n.get(ValueLayout.JAVA_INT, 0);
            }
        } catch (RuntimeException | LinkageError e) {
            return new Availability(false, "CUDA driver unusable: " + e.getMessage(), 0, driver.location(),
                    lt.location(), lt.reason(), searched);
        }
        if (count == 0) {
            return new Availability(false, "the CUDA driver reports no device", 0, driver.location(),
                    lt.location(), lt.reason(), searched);
        }
        return new Availability(true, "ok", count, driver.location(), lt.location(), lt.reason(), searched);
    }
}
