// Where there is no CUDA driver or device, asking for the CUDA backend must fail at once with the
// reason, not crash or hang. Runs only on such machines (the CI ones); skipped where CUDA works.
package org.panatrain.kernels.cuda;

import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.junit.jupiter.api.Assumptions.assumeFalse;

import org.junit.jupiter.api.Test;
import org.panatrain.bindings.Cuda;

class CudaKernelsWithoutCudaTest {

    @Test
    void createFailsWithTheReasonCudaIsMissing() {
        Cuda.Availability a = Cuda.availability();
        assumeFalse(a.available(), "CUDA is available here: the GPU tests cover CudaKernels.create");
        assertThatThrownBy(() -> CudaKernels.create(0)).isInstanceOf(IllegalStateException.class)
                .hasMessageContaining(a.reason());
    }
}
