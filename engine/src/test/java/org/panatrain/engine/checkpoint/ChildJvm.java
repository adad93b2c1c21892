// Starting a test's main class in a fresh JVM (same java binary; on its class path the folders or
// jars holding the test classes and Panatrain's modules, found from the classes themselves, so that
// it works under Maven's module path and under a console launcher's own class loader alike): for
// SIGKILL tests, and for runs that stand for a process of their own (the CLI's resume test, running
// Main). The CPU kernels' bits no longer depend on how far the JIT has compiled them (Exp).
package org.panatrain.engine.checkpoint;

import java.io.File;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Set;
import org.panatrain.bindings.Cuda;
import org.panatrain.engine.model.Gpt2;
import org.panatrain.kernels.Kernels;
import org.panatrain.memory.Tensor;

public final class ChildJvm {
    private ChildJvm() {
    }

    /** Starts {@code main} with the system properties {@code properties} ("-Dk=v") and {@code args}; stdout discarded. */
    public static Process start(Class<?> main, List<String> properties, String... args) throws Exception {
        String java = ProcessHandle.current().info().command().orElseThrow();
        Set<String> entries = new LinkedHashSet<>();
        for (Class<?> c : List.of(main, ChildJvm.class, Gpt2.class, Kernels.class, Tensor.class, Cuda.class)) {
            entries.add(location(c));
        }
        String classPath = String.join(File.pathSeparator, entries);
        List<String> command = new ArrayList<>(List.of(java, "--add-modules=jdk.incubator.vector",
                "--enable-native-access=ALL-UNNAMED"));
        command.addAll(properties);
        command.addAll(List.of("-cp", classPath, main.getName()));
        command.addAll(List.of(args));
        return new ProcessBuilder(command).redirectOutput(ProcessBuilder.Redirect.DISCARD)
                .redirectError(ProcessBuilder.Redirect.INHERIT).start();
    }

    /** The class folder or jar {@code c} was loaded from. */
    private static String location(Class<?> c) throws Exception {
        return Path.of(c.getProtectionDomain().getCodeSource().getLocation().toURI()).toString();
    }
}
