// The CPU kernels that take exp give the same bits interpreted and compiled by C2: JitTierMain runs
// them in a child JVM with -Xint and in one whose C2 has compiled them (tiered compilation off, a
// low compile threshold, compilation in the foreground, 300 warm-up rounds), and the outputs must
// be equal bit for bit. With the Vector API's lanewise(EXP) they were not (SVML once compiled), so
// two runs of one seed could differ depending on how far the JIT had got.
package org.panatrain.kernels.cpu;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.File;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Set;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.panatrain.bindings.Cuda;
import org.panatrain.memory.Tensor;

class JitTierTest {
    @TempDir
    Path dir;

    @Test
    void expKernelsGiveTheSameBitsInterpretedAndCompiled() throws Exception {
        byte[] interpreted = run("interpreted", List.of("-Xint"), 0);
        byte[] compiled = run("compiled", List.of("-XX:-TieredCompilation", "-XX:CompileThreshold=100", "-Xbatch"), 300);
        assertThat(interpreted).hasSize(compiled.length).isNotEmpty();
        int differing = 0;
        for (int i = 0; i < compiled.length; i += 4) {
            if (interpreted[i] != compiled[i] || interpreted[i + 1] != compiled[i + 1]
                    || interpreted[i + 2] != compiled[i + 2] || interpreted[i + 3] != compiled[i + 3]) {
                differing++;
            }
        }
        assertThat(differing).as("floats whose bits differ between -Xint and C2, of %d", compiled.length / 4).isZero();
    }

    private byte[] run(String name, List<String> flags, int warm) throws Exception {
        Path file = dir.resolve(name + ".bin");
        Set<String> classPath = new LinkedHashSet<>();
        for (Class<?> c : List.of(JitTierMain.class, CpuKernels.class, Tensor.class, Cuda.class)) {
            classPath.add(Path.of(c.getProtectionDomain().getCodeSource().getLocation().toURI()).toString());
        }
        List<String> command = new ArrayList<>(List.of(ProcessHandle.current().info().command().orElseThrow(),
                "--add-modules=jdk.incubator.vector", "--enable-native-access=ALL-UNNAMED"));
        command.addAll(flags);
        command.addAll(List.of("-cp", String.join(File.pathSeparator, classPath), JitTierMain.class.getName(),
                file.toString(), Integer.toString(warm)));
        Process p = new ProcessBuilder(command).redirectOutput(ProcessBuilder.Redirect.DISCARD)
                .redirectError(ProcessBuilder.Redirect.INHERIT).start();
        assertThat(p.waitFor()).as("exit status of the %s JVM", name).isZero();
        return Files.readAllBytes(file);
    }
}
