// Arena bookkeeping without a GPU: aligned offsets, used/capacity, the full-arena message, reset;
// and the device-tensor checks DeviceMemory makes before it would call the driver.
package org.panatrain.memory;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import org.junit.jupiter.api.Test;

class ArenaLayoutTest {

    @Test
    void offsetsAreAlignedAndUsedCountsPadding() {
        ArenaLayout l = new ArenaLayout(4096, 256);
        assertThat(l.reserve(100)).isEqualTo(0);
        assertThat(l.reserve(1)).isEqualTo(256);
        assertThat(l.reserve(256)).isEqualTo(512);
        assertThat(l.reserve(0)).isEqualTo(768);
        assertThat(l.used()).isEqualTo(768);
        assertThat(l.reservedBytes()).isEqualTo(357);
        assertThat(l.buffers()).isEqualTo(4);
    }

    @Test
    void theLastBufferMayEndExactlyAtCapacity() {
        ArenaLayout l = new ArenaLayout(1000, 256);
        l.reserve(10);
        assertThat(l.reserve(1000 - 256)).isEqualTo(256);
        assertThat(l.used()).isEqualTo(1000);
        assertThatThrownBy(() -> l.reserve(0)).isInstanceOf(IllegalStateException.class);
    }

    @Test
    void aFullArenaSaysWhatWasAskedAndWhatIsLeft() {
        ArenaLayout l = new ArenaLayout(1024, 256);
        l.reserve(300); // next aligned offset 512: 512 left
        assertThatThrownBy(() -> l.reserve(513))
                .isInstanceOf(IllegalStateException.class)
                .hasMessageContaining("asked for 513 bytes")
                .hasMessageContaining("300 of 1024 used")
                .hasMessageContaining("512 left");
        assertThat(l.reserve(512)).isEqualTo(512);
    }

    @Test
    void resetStartsOver() {
        ArenaLayout l = new ArenaLayout(512, 256);
        l.reserve(512);
        l.reset();
        assertThat(l.used()).isZero();
        assertThat(l.reserve(7)).isZero();
    }

    @Test
    void rejectsBadArguments() {
        assertThatThrownBy(() -> new ArenaLayout(10, 48)).hasMessageContaining("power of two");
        assertThatThrownBy(() -> new ArenaLayout(-1, 256)).hasMessageContaining("negative");
        assertThatThrownBy(() -> new ArenaLayout(10, 2).reserve(-5)).hasMessageContaining("negative");
        ArenaLayout huge = new ArenaLayout(Long.MAX_VALUE, 256);
        huge.reserve(1);
        assertThatThrownBy(() -> huge.reserve(Long.MAX_VALUE - 10)).isInstanceOf(IllegalStateException.class);
    }

    @Test
    void alignUpRoundsToTheNextMultiple() {
        assertThat(ArenaLayout.alignUp(0, 256)).isZero();
        assertThat(ArenaLayout.alignUp(1, 256)).isEqualTo(256);
        assertThat(ArenaLayout.alignUp(256, 256)).isEqualTo(256);
        assertThat(ArenaLayout.alignUp(257, 64)).isEqualTo(320);
    }

    @Test
    void aDeviceTensorOfAClosedArenaThrowsBeforeAnyDriverCall() {
        Arena scope = Arena.ofShared();
        // A device tensor as DeviceArena makes it: an address reinterpreted with the arena's scope.
        Tensor t = new Tensor(MemorySegment.ofAddress(0x7000_0000L).reinterpret(64, scope, null),
                DType.FP32, new int[] {16}, Tensor.Location.DEVICE);
        scope.close();
        assertThatThrownBy(() -> DeviceMemory.devicePointer(t, "test"))
                .isInstanceOf(IllegalStateException.class).hasMessageContaining("used after its arena was closed");
        try (HostArena host = new HostArena()) {
            Tensor h = host.allocate(DType.FP32, 16);
            assertThatThrownBy(() -> DeviceMemory.copy(h, t))
                    .isInstanceOf(IllegalStateException.class).hasMessageContaining("used after its arena was closed");
            assertThatThrownBy(() -> DeviceMemory.copy(t, h))
                    .isInstanceOf(IllegalStateException.class).hasMessageContaining("used after its arena was closed");
        }
    }

    @Test
    void mismatchedCopiesAndHostTensorsAreRejected() {
        try (HostArena host = new HostArena()) {
            Tensor a = host.allocate(DType.FP32, 16);
            Tensor b = host.allocate(DType.FP32, 8);
            Tensor c = host.allocate(DType.INT32, 16);
            assertThatThrownBy(() -> DeviceMemory.copy(a, b)).hasMessageContaining("element count");
            assertThatThrownBy(() -> DeviceMemory.copy(a, c)).hasMessageContaining("dtype");
            assertThatThrownBy(() -> DeviceMemory.devicePointer(a, "fill")).hasMessageContaining("needs a device tensor");
            a.setFloat(3, 2.5f);
            Tensor d = host.allocate(DType.FP32, 16);
            DeviceMemory.copy(d, a);
            assertThat(d.getFloat(3)).isEqualTo(2.5f);
        }
    }
}
