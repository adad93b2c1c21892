// `panatrain export --checkpoint DIR [--step N] --out model.safetensors`: the weights of a
// checkpoint as one safetensors file (Hugging Face GPT-2 names, the config in __metadata__) that
// `eval --weights`, `sample --weights` and `train --init` read. The checkpoint is verified first
// (commit marker, checksums); its model file is already in that format, so it is copied as is,
// through a temporary name. Leaves out converting to other dtypes or formats.
package org.panatrain.engine.cli;

import java.io.IOException;
import java.io.PrintStream;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.panatrain.engine.checkpoint.Checkpoint;
import org.panatrain.engine.checkpoint.CheckpointStore;
import org.panatrain.engine.io.BadInputException;
import org.panatrain.engine.io.Json;

/** The export command. */
final class ExportCommand implements Command {
    static final OptionSpec CHECKPOINT = OptionSpec.of("checkpoint", OptionSpec.Kind.TEXT, "DIR",
            "a --checkpoint-dir (its newest complete checkpoint) or one step-NNNNNNNN folder (required)");
    static final OptionSpec STEP = OptionSpec.of("step", OptionSpec.Kind.NON_NEGATIVE_INT, "N",
            "the checkpoint of step N instead of the newest");
    static final OptionSpec OUT = OptionSpec.of("out", OptionSpec.Kind.TEXT, "FILE", "the safetensors file to write (required)");

    @Override
    public String name() {
        return "export";
    }

    @Override
    public String summary() {
        return "a checkpoint's weights -> one safetensors file (Hugging Face GPT-2 names)";
    }

    @Override
    public List<OptionSpec> options() {
        return List.of(CHECKPOINT, STEP, OUT, TrainCommand.JSON);
    }

    @Override
    public void run(ParsedOptions o, PrintStream out, PrintStream err) {
        Path target = Path.of(o.required(OUT.name()));
        Checkpoint checkpoint = find(o, err);
        Path tmp = target.resolveSibling(target.getFileName() + ".tmp");
        long bytes;
        try {
            Files.copy(checkpoint.modelFile(), tmp, StandardCopyOption.REPLACE_EXISTING);
            Files.move(tmp, target, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
            bytes = Files.size(target);
        } catch (IOException e) {
            throw new UncheckedIOException("cannot write " + target + ": " + e.getMessage(), e);
        }
        String line = String.format("exported step %d (%s) to %s, %,d bytes", checkpoint.state().step(),
                checkpoint.directory(), target, bytes);
        if (o.flag(TrainCommand.JSON.name())) {
            err.println(line);
            Map<String, Object> json = new LinkedHashMap<>();
            json.put("file", target.toString());
            json.put("step", checkpoint.state().step());
            json.put("bytes", bytes);
            out.println(Json.write(json));
        } else {
            out.println(line);
        }
    }

    /**
     * The verified checkpoint that --checkpoint (and --step) name: with --step, that step's folder;
     * else the folder itself when it is one checkpoint, or the newest complete one under it.
     */
    static Checkpoint find(ParsedOptions o, PrintStream err) {
        Path dir = Path.of(o.required(CHECKPOINT.name()));
        if (!Files.isDirectory(dir)) {
            throw new BadInputException(dir, "no such checkpoint directory");
        }
        CheckpointStore store = new CheckpointStore(dir, err::println);
        if (o.has(STEP.name())) {
            return CheckpointStore.open(store.directoryOf(o.intValue(STEP.name(), 0)));
        }
        if (Files.exists(dir.resolve(CheckpointStore.STATE_FILE))) {
            return CheckpointStore.open(dir);
        }
        return store.latest().orElseThrow(() -> new BadInputException(dir, "holds no complete checkpoint"));
    }
}
