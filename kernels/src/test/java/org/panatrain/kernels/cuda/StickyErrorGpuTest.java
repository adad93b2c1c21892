// On a GPU, in a JVM of its own (tag gpu-fatal; the check script runs it last and alone): a
// kernel that writes to an unmapped address kills the context; the error surfaces as a
// CudaException named CUDA_ERROR_ILLEGAL_ADDRESS (or LAUNCH_FAILED), and every later call fails
// fast with that original error instead of a cascade; closing arenas does not throw.
package org.panatrain.kernels.cuda;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.panatrain.bindings.Cuda;
import org.panatrain.bindings.CudaDriver;
import org.panatrain.bindings.CudaException;
import org.panatrain.bindings.CudaStream;
import org.panatrain.bindings.PrimaryContext;
import org.panatrain.memory.DType;
import org.panatrain.memory.DeviceArena;

@Tag("gpu")
@Tag("gpu-fatal")
class StickyErrorGpuTest {

    @Test
    void anIllegalAddressMarksTheContextDead() {
        assumeTrue(Cuda.availability().available(), Cuda.availability().reason());
        PrimaryContext context = PrimaryContext.retain(0);
        DeviceArena arena = DeviceArena.allocate("before-the-crash", 1 << 20);
        arena.allocate(DType.FP32, 16);
        CudaModule m = CudaModule.load("write_one", TestPtx.WRITE_ONE);
        CudaStream stream = CudaStream.create();
        try (KernelArgs args = new KernelArgs()) {
            args.clear().i64(8); // an address no allocation can have
            m.function("write_one").launch(1, 1, 1, 1, 1, 1, 0, stream, args);
            CudaException first = org.junit.jupiter.api.Assertions.assertThrows(CudaException.class, stream::synchronize);
            assertThat(first.statusName()).isIn("CUDA_ERROR_ILLEGAL_ADDRESS", "CUDA_ERROR_LAUNCH_FAILED");
            assertThat(CudaDriver.stickyError()).isSameAs(first);

            assertThatThrownBy(() -> DeviceArena.allocate("after-the-crash", 1024))
                    .isInstanceOf(CudaException.class)
                    .hasMessageContaining("not called")
                    .hasMessageContaining(first.statusName())
                    .satisfies(e -> assertThat(((CudaException) e).status()).isEqualTo(first.status()));
        }
        // Cleanup after the crash must not throw (nothing is freed in a dead context).
        stream.close();
        m.close();
        arena.close();
        assertThat(arena.isOpen()).isFalse();
        context.close();
    }
}
