// Tensor views: shape bookkeeping, views, slices and the use-after-close guarantee of arenas.
package org.panatrain.memory;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import org.junit.jupiter.api.Test;

class TensorTest {
    @Test
    void viewsShareMemoryAndCheckCounts() {
        try (HostArena arena = new HostArena()) {
            Tensor x = arena.allocate(DType.FP32, 2, 3, 4);
            assertThat(x.numel()).isEqualTo(24);
            assertThat(x.rows()).isEqualTo(6);
            x.view(24).setFloat(23, 7f);
            assertThat(x.getFloat(23)).isEqualTo(7f);
            assertThat(x.slice(20, 4).getFloat(3)).isEqualTo(7f);
            assertThatThrownBy(() -> x.view(5, 5)).isInstanceOf(IllegalArgumentException.class);
        }
    }

    @Test
    void useAfterCloseThrowsInsteadOfCrashing() {
        HostArena arena = new HostArena();
        Tensor x = arena.allocate(DType.FP32, 8);
        arena.close();
        assertThatThrownBy(() -> x.getFloat(0)).isInstanceOf(IllegalStateException.class);
    }

    @Test
    void overflowingShapesAreRejected() {
        assertThatThrownBy(() -> Tensor.numel(1 << 30, 1 << 30, 1 << 30)).isInstanceOf(ArithmeticException.class);
    }
}
