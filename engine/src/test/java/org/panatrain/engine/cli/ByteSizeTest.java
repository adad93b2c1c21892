// Byte sizes in human output: the largest binary unit that keeps the number at least 1.
// (Parsing is checked through the plan command in PlanCommandTest.)
package org.panatrain.engine.cli;

import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.api.Test;

class ByteSizeTest {
    @Test
    void formatsInBinaryUnits() {
        assertThat(ByteSize.format(0)).isEqualTo("0 B");
        assertThat(ByteSize.format(1023)).isEqualTo("1023 B");
        assertThat(ByteSize.format(1536)).isEqualTo("1.5 KiB");
        assertThat(ByteSize.format(80_000_000_000L)).isEqualTo("74.5 GiB");       // 80e9 / 2^30 = 74.505...
        assertThat(ByteSize.format(3L << 40)).isEqualTo("3.0 TiB");
        assertThat(ByteSize.format(5L << 50)).isEqualTo("5120.0 TiB");
    }
}
