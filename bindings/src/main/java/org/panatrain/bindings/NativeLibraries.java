// Loads libcuda and libcublasLt once per process from the candidates LibrarySearch lists, and
// remembers where it looked, so a missing library is reported, never thrown, until it is used.
// It leaves out unloading: both libraries stay mapped for the life of the process.
package org.panatrain.bindings;

import java.lang.foreign.Arena;
import java.lang.foreign.SymbolLookup;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/**
 * The two native libraries the bindings call. Each is looked up at most once.
 *
 * <pre>{@code
 * NativeLibraries.Found cuda = NativeLibraries.cudaDriver();
 * if (cuda.lookup() == null) System.err.println("no driver: " + cuda.reason());
 * }</pre>
 */
public final class NativeLibraries {

    /**
     * The outcome of one search: the lookup and the candidate it came from, or null and why;
     * {@code searched} lists every candidate tried, in order.
     */
    public record Found(SymbolLookup lookup, String location, String reason, List<String> searched) {
        public Found {
            searched = List.copyOf(searched);
        }
    }

    private NativeLibraries() {
    }

    private static final class DriverHolder {
        static final Found FOUND = load("CUDA driver (libcuda)", LibrarySearch.cudaDriverCandidates());
    }

    private static final class CublasLtHolder {
        static final Found FOUND = load("cuBLASLt (libcublasLt)",
                LibrarySearch.cublasLtCandidates(System.getenv(), Path.of(System.getProperty("user.home", "/"))));
    }

    /** libcuda through the system loader. */
    public static Found cudaDriver() {
        return DriverHolder.FOUND;
    }

    /** libcublasLt from PANATRAIN_CUBLASLT, CUDA_HOME/lib64, the loader's path, Python's nvidia-cublas. */
    public static Found cublasLt() {
        return CublasLtHolder.FOUND;
    }

    /** Tries {@code candidates} in order; package-private so the not-found report can be tested. */
    static Found load(String what, List<String> candidates) {
        List<String> failures = new ArrayList<>();
        for (String candidate : candidates) {
            try {
                // Arena.global(): the library stays mapped for the life of the process, which is
                // what the static method handles bound to its symbols require.
                SymbolLookup lookup = SymbolLookup.libraryLookup(candidate, Arena.global());
                return new Found(lookup, candidate, null, candidates);
            } catch (IllegalArgumentException e) {
                failures.add(candidate);
            }
        }
        String reason = what + " not found; looked for " + String.join(", ", failures)
                + (what.contains("cublasLt") ? " (set PANATRAIN_CUBLASLT to the library file to override)" : "");
        return new Found(null, null, reason, candidates);
    }
}
