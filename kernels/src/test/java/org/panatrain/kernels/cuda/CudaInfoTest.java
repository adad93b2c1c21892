// CudaInfo.query() is an answer on every machine: without a driver it has the reason and no
// devices; with one it lists devices and versions. Never an exception.
package org.panatrain.kernels.cuda;

import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.api.Test;

class CudaInfoTest {

    @Test
    void queryNeverThrowsAndIsConsistent() {
        CudaInfo info = CudaInfo.query();
        if (info.availability().available()) {
            assertThat(info.devices()).hasSize(info.availability().deviceCount());
            assertThat(info.driverVersion()).matches("\\d+\\.\\d+");
            assertThat(info.devices().get(0).properties().smCount()).isPositive();
        } else {
            assertThat(info.devices()).isEmpty();
            assertThat(info.driverVersion()).isNull();
            assertThat(info.availability().reason()).isNotBlank().isNotEqualTo("ok");
        }
    }

    @Test
    void withoutCudaOpeningAContextSaysWhy() {
        if (!CudaInfo.query().availability().available()) {
            org.assertj.core.api.Assertions.assertThatThrownBy(() -> CudaContext.open(0))
                    .isInstanceOf(IllegalStateException.class)
                    .hasMessageStartingWith("CUDA is not available: ");
        }
    }
}
