// The CUDA backend's grid sizes without a GPU, against values worked out by hand: grid-stride
// launches capped at 16 blocks per SM, one warp per row, one thread per column, the row chunks
// of the column sums (at most 256, covering N exactly) and the norm partials (at most 1024).
package org.panatrain.kernels.cuda;

import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.api.Test;

class LaunchGridsTest {

    @Test
    void gridStrideLaunchesCoverTheWorkUpToSixteenBlocksPerSm() {
        assertThat(LaunchGrids.gridStrideBlocks(0, 132)).isEqualTo(1);
        assertThat(LaunchGrids.gridStrideBlocks(1, 132)).isEqualTo(1);
        assertThat(LaunchGrids.gridStrideBlocks(256, 132)).isEqualTo(1);
        assertThat(LaunchGrids.gridStrideBlocks(257, 132)).isEqualTo(2);
        assertThat(LaunchGrids.gridStrideBlocks(2560, 132)).isEqualTo(10);
        assertThat(LaunchGrids.gridStrideBlocks(1_000_000_000L, 132)).isEqualTo(2112);   // 132 SMs x 16
        assertThat(LaunchGrids.gridStrideBlocks(1_000_000_000L, 1)).isEqualTo(16);
    }

    @Test
    void oneWarpPerRowIsEightRowsPerBlock() {
        assertThat(LaunchGrids.warpPerRowBlocks(0)).isEqualTo(1);
        assertThat(LaunchGrids.warpPerRowBlocks(1)).isEqualTo(1);
        assertThat(LaunchGrids.warpPerRowBlocks(8)).isEqualTo(1);
        assertThat(LaunchGrids.warpPerRowBlocks(9)).isEqualTo(2);
        assertThat(LaunchGrids.warpPerRowBlocks(768)).isEqualTo(96);
        assertThat(LaunchGrids.blocksFor(1)).isEqualTo(1);
        assertThat(LaunchGrids.blocksFor(768)).isEqualTo(3);
        assertThat(LaunchGrids.blocksFor(769)).isEqualTo(4);
    }

    @Test
    void rowChunksAreAtMost256AndCoverTheRowsExactly() {
        assertThat(new int[] {LaunchGrids.rowChunkCount(1), LaunchGrids.rowChunkRows(1)}).containsExactly(1, 1);
        assertThat(new int[] {LaunchGrids.rowChunkCount(256), LaunchGrids.rowChunkRows(256)}).containsExactly(256, 1);
        assertThat(new int[] {LaunchGrids.rowChunkCount(257), LaunchGrids.rowChunkRows(257)}).containsExactly(129, 2);
        assertThat(new int[] {LaunchGrids.rowChunkCount(1000), LaunchGrids.rowChunkRows(1000)}).containsExactly(250, 4);
        assertThat(new int[] {LaunchGrids.rowChunkCount(8192), LaunchGrids.rowChunkRows(8192)}).containsExactly(256, 32);
        for (int n = 1; n <= 5000; n++) {
            int count = LaunchGrids.rowChunkCount(n), rows = LaunchGrids.rowChunkRows(n);
            assertThat(count).as("chunks of %d rows", n).isBetween(1, 256);
            assertThat((long) count * rows).as("rows covered of %d", n).isGreaterThanOrEqualTo(n);
            assertThat((long) (count - 1) * rows).as("rows before the last chunk of %d", n).isLessThan(n);
        }
    }

    @Test
    void normPartialsAreOnePer4096ElementsUpTo1024() {
        assertThat(LaunchGrids.normPartials(1)).isEqualTo(1);
        assertThat(LaunchGrids.normPartials(4096)).isEqualTo(1);
        assertThat(LaunchGrids.normPartials(4097)).isEqualTo(2);
        assertThat(LaunchGrids.normPartials(4096L * 1024)).isEqualTo(1024);
        assertThat(LaunchGrids.normPartials(124_000_000L)).isEqualTo(1024);
    }
}
