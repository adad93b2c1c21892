// Where the native libraries may be: the ordered list of candidates for libcuda and libcublasLt,
// computed from the environment and the file system only (no loading), so the order is testable.
// It leaves out Windows and macOS names: CUDA is Linux-only here.
package org.panatrain.bindings;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;

/**
 * Candidate locations of the CUDA libraries, best first. A candidate is either an absolute path
 * (loaded as is) or a bare soname (resolved by the system loader: LD_LIBRARY_PATH, ld.so.cache).
 *
 * <pre>{@code
 * List<String> where = LibrarySearch.cublasLtCandidates(System.getenv(), Path.of(System.getProperty("user.home")));
 * }</pre>
 */
public final class LibrarySearch {
    /** Sonames of the driver library; libcuda.so.1 is the one every driver install provides. */
    public static final List<String> CUDA_DRIVER_NAMES = List.of("libcuda.so.1", "libcuda.so");
    /** Sonames of cuBLASLt, newest major first (CUDA 13, 12, then the unversioned dev link). */
    public static final List<String> CUBLASLT_NAMES = List.of("libcublasLt.so.13", "libcublasLt.so.12", "libcublasLt.so");

    private LibrarySearch() {
    }

    /** The driver is only ever found through the system loader, like every CUDA program does. */
    public static List<String> cudaDriverCandidates() {
        return CUDA_DRIVER_NAMES;
    }

    /**
     * libcublasLt candidates in order: PANATRAIN_CUBLASLT (a file, or a folder holding one),
     * CUDA_HOME/lib64, the loader's path, then nvidia/cublas/lib of every Python site-packages.
     */
    public static List<String> cublasLtCandidates(Map<String, String> env, Path home) {
        List<String> out = new ArrayList<>();
        String explicit = env.get("PANATRAIN_CUBLASLT");
        if (explicit != null && !explicit.isBlank()) {
            Path p = Path.of(explicit);
            if (Files.isDirectory(p)) {
                addLibrariesIn(p, out);
            } else {
                out.add(p.toAbsolutePath().toString());
            }
        }
        for (String var : List.of("CUDA_HOME", "CUDA_PATH")) {
            String cudaHome = env.get(var);
            if (cudaHome != null && !cudaHome.isBlank()) {
                addLibrariesIn(Path.of(cudaHome, "lib64"), out);
            }
        }
        out.addAll(CUBLASLT_NAMES);
        for (Path site : sitePackages(env, home)) {
            addLibrariesIn(site.resolve("nvidia/cublas/lib"), out);
        }
        return out;
    }

    /**
     * Python site-packages folders found by listing, without running Python: the system's
     * (/usr/lib, /usr/local/lib), the user's (~/.local/lib), and those next to every python3
     * on PATH (virtual environments, conda, pyenv).
     */
    public static List<Path> sitePackages(Map<String, String> env, Path home) {
        List<Path> libDirs = new ArrayList<>(List.of(Path.of("/usr/lib"), Path.of("/usr/local/lib"), home.resolve(".local/lib")));
        String path = env.getOrDefault("PATH", "");
        for (String dir : path.split(":")) {
            if (dir.isEmpty()) {
                continue;
            }
            Path bin = Path.of(dir);
            if (Files.exists(bin.resolve("python3")) && bin.getParent() != null) {
                libDirs.add(bin.getParent().resolve("lib"));
            }
        }
        List<Path> out = new ArrayList<>();
        for (Path lib : libDirs) {
            for (Path py : list(lib, "python3*")) {
                for (String name : List.of("site-packages", "dist-packages")) {
                    Path site = py.resolve(name);
                    if (Files.isDirectory(site) && !out.contains(site)) {
                        out.add(site);
                    }
                }
            }
        }
        return out;
    }

    private static void addLibrariesIn(Path dir, List<String> out) {
        for (Path p : list(dir, "libcublasLt.so*")) {
            String s = p.toAbsolutePath().toString();
            if (!out.contains(s)) {
                out.add(s);
            }
        }
    }

    /** Entries of {@code dir} matching {@code glob}, sorted newest-version first; none if unreadable. */
    private static List<Path> list(Path dir, String glob) {
        if (!Files.isDirectory(dir)) {
            return List.of();
        }
        List<Path> found = new ArrayList<>();
        try (var ds = Files.newDirectoryStream(dir, glob)) {
            ds.forEach(found::add);
        } catch (IOException | SecurityException e) {
            return List.of();
        }
        // Longest name first puts libcublasLt.so.12.4.5 before libcublasLt.so: a real file before a dev link.
        return Stream.of(found.toArray(Path[]::new))
                .sorted((a, b) -> {
                    String x = a.getFileName().toString(), y = b.getFileName().toString();
                    return x.length() != y.length() ? Integer.compare(y.length(), x.length()) : y.compareTo(x);
                })
                .toList();
    }
}
