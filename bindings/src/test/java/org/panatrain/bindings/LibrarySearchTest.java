// The order in which cuBLASLt is searched for, on a fake file system: explicit override, then
// CUDA_HOME, then the loader's sonames, then Python site-packages (user's and PATH's python3).
package org.panatrain.bindings;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class LibrarySearchTest {

    @TempDir
    Path root;

    @Test
    void cublasLtCandidatesComeInTheDocumentedOrder() throws IOException {
        Path explicit = touch(root.resolve("mine/libcublasLt.so.12"));
        Path cudaHome = touch(root.resolve("cuda/lib64/libcublasLt.so.12.4.5")).getParent().getParent();
        touch(root.resolve("cuda/lib64/libcublasLt.so"));
        Path home = root.resolve("home");
        Path userLib = touch(home.resolve(".local/lib/python3.11/site-packages/nvidia/cublas/lib/libcublasLt.so.12"));
        Path venvBin = touch(root.resolve("venv/bin/python3")).getParent();
        Path venvLib = touch(root.resolve("venv/lib/python3.10/site-packages/nvidia/cublas/lib/libcublasLt.so.13"));
        Map<String, String> env = Map.of(
                "PANATRAIN_CUBLASLT", explicit.toString(),
                "CUDA_HOME", cudaHome.toString(),
                "PATH", venvBin + ":" + root.resolve("nowhere"));

        List<String> c = LibrarySearch.cublasLtCandidates(env, home);

        assertThat(c.get(0)).isEqualTo(explicit.toString());
        assertThat(c).containsSubsequence(
                explicit.toString(),
                cudaHome.resolve("lib64/libcublasLt.so.12.4.5").toString(),
                cudaHome.resolve("lib64/libcublasLt.so").toString(),
                "libcublasLt.so.13", "libcublasLt.so.12", "libcublasLt.so",
                userLib.toString(),
                venvLib.toString());
        assertThat(c).doesNotHaveDuplicates();
    }

    @Test
    void anExplicitFolderIsSearchedForTheLibrary() throws IOException {
        Path lib = touch(root.resolve("dir/libcublasLt.so.12"));
        List<String> c = LibrarySearch.cublasLtCandidates(Map.of("PANATRAIN_CUBLASLT", lib.getParent().toString()), root);
        assertThat(c.get(0)).isEqualTo(lib.toString());
    }

    @Test
    void withNothingSetOnlyTheLoaderAndSystemPythonAreTried() {
        List<String> c = LibrarySearch.cublasLtCandidates(Map.of(), root.resolve("empty-home"));
        assertThat(c).containsSubsequence(LibrarySearch.CUBLASLT_NAMES);
        assertThat(c.subList(0, 3)).isEqualTo(LibrarySearch.CUBLASLT_NAMES);
    }

    private static Path touch(Path p) throws IOException {
        Files.createDirectories(p.getParent());
        return Files.writeString(p, "");
    }
}
