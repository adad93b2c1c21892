// The launch builder without a GPU (never reaching go(), which needs the loaded modules): each
// argument is checked against the kernel's PTX parameter kinds, an empty grid is refused with the
// kernel's name, and assembling a warm launch (grid as ints, tensor, long, int and float
// arguments) allocates nothing on this thread (ThreadMXBean). The tensors here are host memory
// labelled DEVICE: their addresses are only written into the argument block, never read.
package org.panatrain.kernels.cuda;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.lang.foreign.Arena;
import java.lang.management.ManagementFactory;
import org.junit.jupiter.api.Test;
import org.panatrain.memory.DType;
import org.panatrain.memory.Tensor;

class KernelLauncherTest {

    private static Tensor fakeDevice(Arena arena, int n) {
        return new Tensor(arena.allocate(4L * n, 256), DType.FP32, new int[] {n}, Tensor.Location.DEVICE);
    }

    @Test
    void argumentsAreCheckedAgainstThePtxAndEmptyGridsRefused() {
        try (KernelLauncher launcher = new KernelLauncher(null, null, 132, 1024); Arena arena = Arena.ofConfined()) {
            Tensor t = fakeDevice(arena, 16);
            String scale = PtxKernel.SCALE.symbol(DType.FP32);
            assertThatThrownBy(() -> launcher.gridStride(scale, 16).arg(t).arg(3))   // numel is a 64-bit parameter
                    .isInstanceOf(IllegalArgumentException.class).hasMessageContaining(scale).hasMessageContaining("argument 1");
            assertThatThrownBy(() -> launcher.gridStride(scale, 16).arg(t).arg(16L).arg(2f).arg(1f))
                    .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("takes 3 arguments");
            assertThatThrownBy(() -> launcher.kernel(PtxKernel.GLOBAL_NORM_FINAL.base, 0, 1, 1024))
                    .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("empty launch grid")
                    .hasMessageContaining("global_norm_final");
            assertThatThrownBy(() -> launcher.kernel("no_such_kernel", 1, 1, 32))
                    .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("no_such_kernel");
        }
    }

    @Test
    void assemblingAWarmLaunchAllocatesNothing() {
        com.sun.management.ThreadMXBean threads = (com.sun.management.ThreadMXBean) ManagementFactory.getThreadMXBean();
        try (KernelLauncher launcher = new KernelLauncher(null, null, 132, 1024); Arena arena = Arena.ofConfined()) {
            Tensor t = fakeDevice(arena, 4096);
            Tensor out = fakeDevice(arena, 1);
            String scale = PtxKernel.SCALE.symbol(DType.FP32);
            String layerNorm = PtxKernel.LAYERNORM_FORWARD.symbol(DType.FP32);
            long bytes = Long.MAX_VALUE;
            // a few windows: the JIT may allocate once right after compiling the loop; an allocating launch does so in every window
            for (int window = 0; window < 5 && bytes > 0; window++) {
                long before = threads.getCurrentThreadAllocatedBytes();
                for (int i = 0; i < 100_000; i++) {
                    launcher.gridStride(scale, i).arg(t).arg(t.numel()).arg(0.5f);
                    launcher.warpPerRow(layerNorm, 64).arg(t).arg(out).arg(out).arg(t).arg(t).arg((Tensor) null).arg(64)
                            .arg(64);
                    launcher.kernel(PtxKernel.GLOBAL_NORM_FINAL.base, 1, 1, 1024).arg(KernelLauncher.address(out) + 4)
                            .arg(t).arg(i);
                }
                bytes = threads.getCurrentThreadAllocatedBytes() - before;
            }
            assertThat(bytes).as("bytes 300000 launch assemblies allocated").isZero();
        }
    }
}
