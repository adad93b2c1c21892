// On a GPU: a hand-written PTX kernel JIT-loaded and launched through FFM, checked element by
// element; a bad launch and a bad PTX module surface as CudaException with the error name or the
// JIT log, and neither spoils the context. Skipped, with the reason, where CUDA is absent.
package org.panatrain.kernels.cuda;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.panatrain.bindings.Cuda;
import org.panatrain.bindings.CudaDriver;
import org.panatrain.bindings.CudaException;
import org.panatrain.bindings.CudaStream;
import org.panatrain.bindings.PrimaryContext;
import org.panatrain.memory.DType;
import org.panatrain.memory.DeviceArena;
import org.panatrain.memory.DeviceMemory;
import org.panatrain.memory.HostArena;
import org.panatrain.memory.Tensor;

@Tag("gpu")
class PtxLaunchGpuTest {
    private static PrimaryContext context;

    @BeforeAll
    static void open() {
        assumeTrue(Cuda.availability().available(), Cuda.availability().reason());
        context = PrimaryContext.retain(0);
    }

    @AfterAll
    static void close() {
        if (context != null) {
            context.close();
        }
    }

    @Test
    void aPtxKernelRunsOnEveryElement() {
        int n = 1001; // not a multiple of the block
        float a = 0.75f;
        float[] in = DeviceTensors.random(n, 1, DType.FP32);
        try (CudaModule m = CudaModule.load("scale_add", TestPtx.SCALE_ADD); KernelArgs args = new KernelArgs();
             CudaStream stream = CudaStream.create(); HostArena host = new HostArena();
             DeviceArena dev = DeviceArena.allocate("ptx-test", 1L << 20)) {
            Tensor dIn = dev.allocate(DType.FP32, n);
            Tensor dOut = dev.allocate(DType.FP32, n);
            DeviceMemory.copy(dIn, DeviceTensors.host(host, in, n));
            DeviceMemory.fillBytes(dOut, (byte) 0xFF);
            CudaFunction f = m.function("scale_add");
            args.clear().pointer(dOut).pointer(dIn).f32(a).i32(n);
            f.launch((n + 127) / 128, 1, 1, 128, 1, 1, 0, stream, args);
            stream.synchronize();
            float[] out = DeviceTensors.download(host, dOut);
            for (int i = 0; i < n; i++) {
                assertThat(out[i]).as("element %d", i).isEqualTo(Math.fma(in[i], a, 1f));
            }
        }
    }

    @Test
    void aBadLaunchIsACudaExceptionAndTheContextSurvives() {
        try (CudaModule m = CudaModule.load("scale_add", TestPtx.SCALE_ADD); KernelArgs args = new KernelArgs();
             CudaStream stream = CudaStream.create(); DeviceArena dev = DeviceArena.allocate("ptx-test", 1L << 20)) {
            Tensor t = dev.allocate(DType.FP32, 4);
            CudaFunction f = m.function("scale_add");
            args.clear().pointer(t).pointer(t).f32(1f).i32(4);
            assertThatThrownBy(() -> f.launch(1, 1, 1, 4096, 1, 1, 0, stream, args)) // > 1024 threads per block
                    .isInstanceOf(CudaException.class)
                    .hasMessageContaining("cuLaunchKernel(scale_add")
                    .satisfies(e -> assertThat(((CudaException) e).statusName()).isEqualTo("CUDA_ERROR_INVALID_VALUE"));
            assertThat(CudaDriver.stickyError()).isNull();
            f.launch(1, 1, 1, 4, 1, 1, 0, stream, args);
            stream.synchronize();
        }
    }

    @Test
    void badPtxIsACudaExceptionWithTheJitLog() {
        assertThatThrownBy(() -> CudaModule.load("broken", TestPtx.BROKEN))
                .isInstanceOf(CudaException.class)
                .hasMessageContaining("cuModuleLoadDataEx(broken)")
                .hasMessageContaining("JIT error log")
                .hasMessageContaining("undeclared")
                .satisfies(e -> assertThat(((CudaException) e).statusName()).isEqualTo("CUDA_ERROR_INVALID_PTX"));
    }

    @Test
    void aMissingKernelNameIsACudaException() {
        try (CudaModule m = CudaModule.load("scale_add", TestPtx.SCALE_ADD)) {
            assertThatThrownBy(() -> m.function("no_such_kernel"))
                    .isInstanceOf(CudaException.class).hasMessageContaining("no_such_kernel")
                    .satisfies(e -> assertThat(((CudaException) e).statusName()).isEqualTo("CUDA_ERROR_NOT_FOUND"));
        }
    }

    @Test
    void aKernelOfAClosedModuleIsNotLaunched() {
        CudaFunction f;
        try (CudaModule m = CudaModule.load("scale_add", TestPtx.SCALE_ADD)) {
            f = m.function("scale_add");
        }
        try (KernelArgs args = new KernelArgs(); CudaStream stream = CudaStream.create()) {
            assertThatThrownBy(() -> f.launch(1, 1, 1, 1, 1, 1, 0, stream, args)).isInstanceOf(IllegalStateException.class);
        }
    }
}
