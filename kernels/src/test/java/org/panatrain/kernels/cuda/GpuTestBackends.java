// Test support for the GPU tests that compare the CUDA backend with the CPU backend: opens both
// and a device arena for the test's tensors, or skips the test (JUnit assumption) with the reason
// CUDA is not available. Leaves out any comparison.
package org.panatrain.kernels.cuda;

import static org.junit.jupiter.api.Assumptions.assumeTrue;

import org.panatrain.bindings.Cuda;
import org.panatrain.kernels.cpu.CpuKernels;
import org.panatrain.memory.DeviceArena;

/** {@code GpuTestBackends b = GpuTestBackends.openOrSkip("MyGpuTest", 1L << 28);} ... {@code b.close();} */
record GpuTestBackends(CudaKernels gpu, CpuKernels cpu, DeviceArena arena) implements AutoCloseable {

    static GpuTestBackends openOrSkip(String arenaName, long arenaBytes) {
        Cuda.Availability a = Cuda.availability();
        assumeTrue(a.available(), "CUDA is not available: " + a.reason());
        CudaKernels gpu = CudaKernels.create(0);
        return new GpuTestBackends(gpu, CpuKernels.create(), DeviceArena.allocate(arenaName, arenaBytes));
    }

    @Override
    public void close() {
        arena.close();
        gpu.close();
        cpu.close();
    }
}
