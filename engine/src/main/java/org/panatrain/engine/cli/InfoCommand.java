// `panatrain info`: what this machine offers Panatrain: CPU threads, the Java runtime, the Vector
// API's preferred float species, and whether CUDA can be used (and why not).
package org.panatrain.engine.cli;

import java.io.PrintStream;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import jdk.incubator.vector.FloatVector;
import org.panatrain.engine.io.Json;
import org.panatrain.kernels.cpu.Parallel;

/** The info command. */
final class InfoCommand implements Command {

    @Override
    public String name() {
        return "info";
    }

    @Override
    public String summary() {
        return "CPU threads, Java version, vector width, CUDA availability";
    }

    @Override
    public List<OptionSpec> options() {
        return List.of(TrainCommand.JSON);
    }

    @Override
    public void run(ParsedOptions o, PrintStream out, PrintStream err) {
        CudaStatus cuda = CudaStatus.probe();
        int threads = Parallel.defaultThreads();
        String java = System.getProperty("java.vm.name") + " " + Runtime.version();
        String species = FloatVector.SPECIES_PREFERRED.toString();
        if (o.flag(TrainCommand.JSON.name())) {
            Map<String, Object> c = new LinkedHashMap<>();
            c.put("available", cuda.available());
            c.put("reason", cuda.available() ? null : cuda.reason());
            c.put("devices", cuda.devices());
            Map<String, Object> m = new LinkedHashMap<>();
            m.put("cuda", c);
            m.put("cpu", Map.of("threads", threads));
            m.put("java", java);
            m.put("vector_species", species);
            out.println(Json.write(m));
            return;
        }
        out.println("cpu: " + threads + " threads (" + Runtime.getRuntime().availableProcessors()
                + " processors; -Dpanatrain.threads=N overrides)");
        out.println("java: " + java + " (" + System.getProperty("java.home") + ")");
        out.println("vector: " + species + " (" + FloatVector.SPECIES_PREFERRED.length() + " floats per vector)");
        out.println("cuda: " + (cuda.available() ? "available: " + String.join(", ", cuda.devices())
                : "not available: " + cuda.reason()));
    }
}
