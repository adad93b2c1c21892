// The reused matmul plan key without a GPU: a probe set to a shape equals (and hashes as) the
// stored copy of the same shape and nothing else, a copy does not follow later sets of the probe,
// and looking a plan up with the probe allocates nothing (ThreadMXBean's bytes of this thread).
package org.panatrain.kernels.cuda;

import static org.assertj.core.api.Assertions.assertThat;

import java.lang.management.ManagementFactory;
import java.util.HashMap;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.panatrain.bindings.CublasLt;

class MatmulKeyTest {
    private static final CudaMatmul.Precision BF16 = CudaMatmul.Precision.BF16;
    private static final CudaMatmul.Epilogue NONE = CudaMatmul.Epilogue.NONE;

    private static MatmulKey key(int m, boolean transB, int alignOut) {
        return new MatmulKey().set(BF16, NONE, m, 768, 3072, 1, false, transB, -1, 256, 256, alignOut);
    }

    @Test
    void equalShapesAreEqualKeysAndEveryFieldCounts() {
        MatmulKey a = key(1024, false, 256);
        assertThat(a).isEqualTo(key(1024, false, 256)).hasSameHashCodeAs(key(1024, false, 256));
        assertThat(a).isNotEqualTo(key(1025, false, 256)).isNotEqualTo(key(1024, true, 256))
                .isNotEqualTo(key(1024, false, 128))
                .isNotEqualTo(new MatmulKey().set(BF16, CudaMatmul.Epilogue.BIAS, 1024, 768, 3072, 1, false, false,
                        CublasLt.CUDA_R_16BF, 256, 256, 256))
                .isNotEqualTo(key(1024, false, 256).fp8(CublasLt.CUDA_R_8F_E4M3, CublasLt.CUDA_R_8F_E4M3, false));
        assertThat(key(1024, false, 256).fp8(CublasLt.CUDA_R_8F_E4M3, CublasLt.CUDA_R_8F_E5M2, true))
                .isNotEqualTo(key(1024, false, 256).fp8(CublasLt.CUDA_R_8F_E4M3, CublasLt.CUDA_R_8F_E5M2, false));
        assertThat(key(1024, false, 256).fp8(1, 2, true).set(BF16, NONE, 1024, 768, 3072, 1, false, false, -1, 256, 256, 256))
                .as("set clears the FP8 fields").isEqualTo(a);
        assertThat(a.isFp8()).isFalse();
        assertThat(a.toString()).contains("m=1024", "n=768", "k=3072", "BF16");
    }

    @Test
    void aStoredCopyDoesNotFollowTheProbe() {
        MatmulKey probe = key(64, false, 256);
        MatmulKey stored = probe.copy();
        probe.set(BF16, NONE, 65, 768, 3072, 1, false, false, -1, 256, 256, 256);
        assertThat(stored).isEqualTo(key(64, false, 256)).isNotEqualTo(probe);
    }

    @Test
    void aLookupWithTheProbeFindsTheStoredKeyAndAllocatesNothing() {
        Map<MatmulKey, String> plans = new HashMap<>();
        for (int m = 1; m <= 64; m++) {
            plans.put(key(m, m % 2 == 0, 256), "plan " + m);
        }
        MatmulKey probe = new MatmulKey();
        assertThat(plans.get(probe.set(BF16, NONE, 7, 768, 3072, 1, false, false, -1, 256, 256, 256))).isEqualTo("plan 7");
        assertThat(plans.get(probe.set(BF16, NONE, 8, 768, 3072, 1, false, false, -1, 256, 256, 256))).isNull();
        com.sun.management.ThreadMXBean threads = (com.sun.management.ThreadMXBean) ManagementFactory.getThreadMXBean();
        long found = 0;
        long bytes = Long.MAX_VALUE;
        // a few windows: the JIT may allocate once right after compiling the loop; a lookup that allocates does so in every window
        for (int window = 0; window < 5 && bytes > 0; window++) {
            long before = threads.getCurrentThreadAllocatedBytes();
            for (int i = 0; i < 200_000; i++) {
                int m = 1 + i % 64;
                found += plans.get(probe.set(BF16, NONE, m, 768, 3072, 1, false, m % 2 == 0, -1, 256, 256, 256)) != null ? 1 : 0;
            }
            bytes = threads.getCurrentThreadAllocatedBytes() - before;
        }
        assertThat(found).as("lookups that found their plan").isPositive();
        assertThat(bytes).as("bytes 200000 lookups allocated").isZero();
    }
}
