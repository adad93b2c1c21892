// The launch argument block without a GPU: kernelParams[i] points at argument i's value, with
// the value's bytes where the kernel reads them; limits and host tensors are rejected.
package org.panatrain.kernels.cuda;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import org.junit.jupiter.api.Test;
import org.panatrain.memory.DType;
import org.panatrain.memory.HostArena;

class KernelArgsTest {

    private static MemorySegment arg(KernelArgs args, int i) {
        return args.kernelParams().getAtIndex(ValueLayout.ADDRESS, i).reinterpret(8);
    }

    @Test
    void eachParameterPointsAtItsValue() {
        try (KernelArgs args = new KernelArgs()) {
            args.clear().i64(0x1234_5678_9ABCL).i32(-7).f32(0.5f);
            assertThat(args.count()).isEqualTo(3);
            assertThat(arg(args, 0).get(ValueLayout.JAVA_LONG, 0)).isEqualTo(0x1234_5678_9ABCL);
            assertThat(arg(args, 1).get(ValueLayout.JAVA_INT, 0)).isEqualTo(-7);
            assertThat(arg(args, 2).get(ValueLayout.JAVA_FLOAT, 0)).isEqualTo(0.5f);
            args.clear().f32(2f);
            assertThat(args.count()).isEqualTo(1);
            assertThat(arg(args, 0).get(ValueLayout.JAVA_FLOAT, 0)).isEqualTo(2f);
        }
    }

    @Test
    void tooManyArgumentsAndHostTensorsAreRejected() {
        try (KernelArgs args = new KernelArgs(); HostArena host = new HostArena()) {
            for (int i = 0; i < KernelArgs.MAX_ARGS; i++) {
                args.i32(i);
            }
            assertThatThrownBy(() -> args.i32(0)).isInstanceOf(IllegalStateException.class);
            assertThatThrownBy(() -> args.clear().pointer(host.allocate(DType.FP32, 4)))
                    .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("device tensor");
        }
    }

    @Test
    void pointerAlignmentForTheHeuristicIsTheLowestSetBitUpTo256() {
        assertThat(CudaMatmul.alignment(0x7f00_0000_0000L)).isEqualTo(256);
        assertThat(CudaMatmul.alignment(0x7f00_0000_0102L)).isEqualTo(2);
        assertThat(CudaMatmul.alignment(0x7f00_0000_0140L)).isEqualTo(64);
    }
}
