// Availability reporting: without a driver it must say so plainly and never throw; with one it
// must report devices. Library loading failure is checked on candidates that cannot exist.
package org.panatrain.bindings;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.List;
import org.junit.jupiter.api.Test;

class AvailabilityTest {

    @Test
    void availabilityIsAnAnswerNeverAnException() {
        Cuda.Availability a = Cuda.availability();
        assertThat(a.searched()).contains("libcuda.so.1");
        if (NativeLibraries.cudaDriver().lookup() == null) {
            assertThat(a.available()).isFalse();
            assertThat(a.reason()).startsWith("no CUDA driver").contains("libcuda.so.1");
            assertThat(a.deviceCount()).isZero();
            assertThat(a.driverLibrary()).isNull();
            assertThat(a.cublasLtAvailable()).isFalse();
        } else if (a.available()) {
            assertThat(a.reason()).isEqualTo("ok");
            assertThat(a.deviceCount()).isPositive();
        } else {
            assertThat(a.reason()).isNotBlank().isNotEqualTo("ok");
        }
        assertThat(Cuda.availability()).isSameAs(a);
    }

    @Test
    void aLibraryThatIsNowhereIsReportedWithEveryPlaceTried() {
        List<String> candidates = List.of("libpanatrain-absent.so.7", "/nonexistent/libpanatrain-absent.so");
        NativeLibraries.Found f = NativeLibraries.load("test library", candidates);
        assertThat(f.lookup()).isNull();
        assertThat(f.location()).isNull();
        assertThat(f.reason()).startsWith("test library not found")
                .contains("libpanatrain-absent.so.7").contains("/nonexistent/libpanatrain-absent.so");
        assertThat(f.searched()).containsExactlyElementsOf(candidates);
    }

    @Test
    void aPresentLibraryIsFound() {
        // libc is on every Linux loader path: the success branch of the same search.
        NativeLibraries.Found f = NativeLibraries.load("libc", List.of("libpanatrain-absent.so.7", "libc.so.6"));
        assertThat(f.location()).isEqualTo("libc.so.6");
        assertThat(f.lookup().find("strlen")).isPresent();
        assertThat(f.reason()).isNull();
    }
}
