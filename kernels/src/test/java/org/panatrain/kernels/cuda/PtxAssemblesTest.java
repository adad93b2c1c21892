// The hand-written test PTX must assemble: checked with ptxas (CUDA_HOME/bin, /usr/local/cuda/bin
// or PATH) wherever it is installed, so a typo shows up on machines without a GPU too; the
// broken module must be rejected naming the undeclared register. Skipped without ptxas.
package org.panatrain.kernels.cuda;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class PtxAssemblesTest {
    @TempDir
    Path dir;

    private static Optional<Path> ptxas() {
        List<Path> candidates = new ArrayList<>();
        String home = System.getenv("CUDA_HOME");
        if (home != null) {
            candidates.add(Path.of(home, "bin", "ptxas"));
        }
        candidates.add(Path.of("/usr/local/cuda/bin/ptxas"));
        for (String d : System.getenv().getOrDefault("PATH", "").split(":")) {
            if (!d.isEmpty()) {
                candidates.add(Path.of(d, "ptxas"));
            }
        }
        return candidates.stream().filter(Files::isExecutable).findFirst();
    }

    private record Result(int exit, String log) {
    }

    private Result assemble(String name, String ptx) throws IOException, InterruptedException {
        Path p = ptxas().orElseThrow();
        Path src = Files.writeString(dir.resolve(name + ".ptx"), ptx);
        Process proc = new ProcessBuilder(p.toString(), "-arch=sm_75", src.toString(), "-o", dir.resolve(name + ".cubin").toString())
                .redirectErrorStream(true).start();
        String log = new String(proc.getInputStream().readAllBytes());
        return new Result(proc.waitFor(), log);
    }

    @Test
    void testKernelsAssembleAndTheBrokenOneDoesNot() throws Exception {
        assumeTrue(ptxas().isPresent(), "ptxas not found in CUDA_HOME/bin, /usr/local/cuda/bin or PATH");
        assertThat(assemble("scale_add", TestPtx.SCALE_ADD)).extracting(Result::exit).isEqualTo(0);
        assertThat(assemble("write_one", TestPtx.WRITE_ONE)).extracting(Result::exit).isEqualTo(0);
        Result broken = assemble("broken", TestPtx.BROKEN);
        assertThat(broken.exit()).isNotZero();
        assertThat(broken.log()).contains("undeclared");
    }
}
