// On a GPU: allocation, free and copy round trips through device arenas, pinned and pageable
// host memory, synchronous and on a stream; fills; the out-of-memory message; use after close.
// Skipped, with the reason, where Cuda.availability() says CUDA is absent.
package org.panatrain.memory;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.util.Random;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.panatrain.bindings.Cuda;
import org.panatrain.bindings.CudaException;
import org.panatrain.bindings.CudaStream;
import org.panatrain.bindings.PrimaryContext;

@Tag("gpu")
class DeviceMemoryGpuTest {
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
    void pageableRoundTripThroughTwoDeviceTensors() {
        int n = 1_000_003; // odd on purpose
        float[] values = random(n, 1);
        try (HostArena host = new HostArena(); DeviceArena dev = DeviceArena.allocate("test", 16L << 20)) {
            Tensor h = host.allocate(DType.FP32, n);
            h.copyFrom(values);
            Tensor d1 = dev.allocate(DType.FP32, n);
            Tensor d2 = dev.allocate(DType.FP32, n);
            assertThat(d2.data().address() % DeviceArena.ALIGNMENT).isZero();
            DeviceMemory.copy(d1, h);
            DeviceMemory.copy(d2, d1);
            Tensor back = host.allocate(DType.FP32, n);
            DeviceMemory.copy(back, d2);
            assertThat(back.toFloatArray()).containsExactly(values);
            assertThat(dev.used()).isEqualTo(ArenaLayout.alignUp(4L * n, 256) + 4L * n);
        }
    }

    @Test
    void pinnedAsyncRoundTripOnAStream() {
        int n = 4097;
        float[] values = random(n, 2);
        try (PinnedHostArena pinned = new PinnedHostArena("test-pinned");
             DeviceArena dev = DeviceArena.allocate("test", 1L << 20);
             CudaStream stream = CudaStream.create()) {
            Tensor h = pinned.allocate(DType.FP32, n);
            h.copyFrom(values);
            Tensor d = dev.allocate(DType.FP32, n);
            Tensor d2 = dev.allocate(DType.FP32, n);
            Tensor back = pinned.allocate(DType.FP32, n);
            DeviceMemory.copyAsync(d, h, stream);
            DeviceMemory.copyAsync(d2, d, stream);
            DeviceMemory.copyAsync(back, d2, stream);
            stream.synchronize();
            assertThat(back.toFloatArray()).containsExactly(values);
            assertThat(pinned.allocatedBytes()).isEqualTo(8L * n);
        }
    }

    @Test
    void fillsSetEveryElement() {
        try (HostArena host = new HostArena(); DeviceArena dev = DeviceArena.allocate("test", 1L << 20);
             CudaStream stream = CudaStream.create()) {
            Tensor d = dev.allocate(DType.FP32, 333);
            Tensor h = host.allocate(DType.FP32, 333);
            DeviceMemory.fill32(d, Float.floatToRawIntBits(1.25f));
            DeviceMemory.copy(h, d);
            assertThat(h.toFloatArray()).containsOnly(1.25f);
            DeviceMemory.fillBytes(d, (byte) 0xFF);
            DeviceMemory.copy(h, d);
            for (float f : h.toFloatArray()) {
                assertThat(f).isNaN();
            }
            DeviceMemory.fill32Async(d, 0, stream);
            stream.synchronize();
            DeviceMemory.copy(h, d);
            assertThat(h.toFloatArray()).containsOnly(0f);
        }
    }

    @Test
    void registeredHostMemoryCopies() {
        int n = 1 << 16;
        float[] values = random(n, 3);
        try (HostArena host = new HostArena(); PinnedHostArena pins = new PinnedHostArena("registered");
             DeviceArena dev = DeviceArena.allocate("test", 1L << 20)) {
            Tensor h = host.allocate(DType.FP32, n);
            h.copyFrom(values);
            pins.register(h.data());
            Tensor d = dev.allocate(DType.FP32, n);
            DeviceMemory.copy(d, h);
            Tensor back = host.allocate(DType.FP32, n);
            DeviceMemory.copy(back, d);
            assertThat(back.toFloatArray()).containsExactly(values);
        }
    }

    @Test
    void outOfMemorySaysWhatWasAskedAndWhatIsThere() {
        try (DeviceArena held = DeviceArena.allocate("held-by-test", 1L << 20)) {
            long petabyte = 1L << 50;
            assertThatThrownBy(() -> DeviceArena.allocate("too-big", petabyte))
                    .isInstanceOf(CudaException.class)
                    .hasMessageContaining("CUDA_ERROR_OUT_OF_MEMORY")
                    .hasMessageContaining("asked for " + petabyte + " bytes")
                    .hasMessageContaining("total")
                    .hasMessageContaining("free")
                    .hasMessageContaining("held-by-test 1.0 MiB");
            assertThat(held.isOpen()).isTrue();
        }
    }

    @Test
    void aTensorUsedAfterItsArenaClosedThrows() {
        Tensor d;
        try (DeviceArena dev = DeviceArena.allocate("closing", 1L << 20)) {
            d = dev.allocate(DType.FP32, 10);
        }
        Tensor dead = d;
        try (HostArena host = new HostArena()) {
            Tensor h = host.allocate(DType.FP32, 10);
            assertThatThrownBy(() -> DeviceMemory.copy(h, dead)).isInstanceOf(IllegalStateException.class)
                    .hasMessageContaining("after its arena was closed");
            assertThatThrownBy(() -> DeviceMemory.fill32(dead, 0)).isInstanceOf(IllegalStateException.class);
        }
    }

    @Test
    void aFullArenaThrowsWithoutCallingTheDriver() {
        try (DeviceArena dev = DeviceArena.allocate("small", 1024)) {
            dev.allocate(DType.FP32, 200);
            assertThatThrownBy(() -> dev.allocate(DType.FP32, 100)).isInstanceOf(IllegalStateException.class)
                    .hasMessageContaining("arena full");
        }
    }

    static float[] random(int n, long seed) {
        Random r = new Random(seed);
        float[] v = new float[n];
        for (int i = 0; i < n; i++) {
            v[i] = (float) r.nextGaussian();
        }
        return v;
    }
}
