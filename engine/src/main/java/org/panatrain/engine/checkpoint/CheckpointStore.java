// A directory of checkpoints, one step-NNNNNNNN/ per save. A save writes model.safetensors,
// optimizer.safetensors, state.json (with SHA-256 of the two) and last a COMMIT marker (holding
// the SHA-256 of state.json) under step-NNNNNNNN.tmp, fsyncs each file and the directory, renames
// it into place and fsyncs the parent: a crash at any point leaves the previous checkpoints whole.
// Resume takes the newest directory that verifies, warning about each one it skips and why.
// Leaves out concurrent writers (one run owns a checkpoint directory) and remote storage.
package org.panatrain.engine.checkpoint;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.MalformedInputException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.SequencedMap;
import java.util.function.Consumer;
import java.util.function.Predicate;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;
import org.panatrain.engine.io.BadInputException;
import org.panatrain.engine.io.Json;
import org.panatrain.engine.model.Gpt2;
import org.panatrain.engine.optim.Optimizer;

/**
 * Crash-safe checkpoints of a training run.
 *
 * <pre>{@code
 * CheckpointStore store = new CheckpointStore(Path.of("ckpt"), System.err::println);
 * store.save(model, optimizer, state);   // ckpt/step-00000100/
 * store.prune(3);                        // keep the newest three
 * Optional<Checkpoint> last = store.latest(state.config());
 * }</pre>
 */
public final class CheckpointStore {
    public static final String MODEL_FILE = "model.safetensors";
    public static final String OPTIMIZER_FILE = "optimizer.safetensors";
    public static final String STATE_FILE = "state.json";
    /** Written last: a directory without it is an unfinished save. */
    public static final String COMMIT_FILE = "COMMIT";
    /**
     * Test hook: milliseconds to sleep after each file of a save, so that a test can kill the
     * process at a chosen point of it. Unset (0) in normal runs.
     */
    public static final String PAUSE_PROPERTY = "panatrain.checkpoint.pauseMillis";

    private static final Pattern NAME = Pattern.compile("step-(\\d{8,})");
    private static final String TEMPORARY_SUFFIX = ".tmp";

    private final Path root;
    private final Consumer<String> warnings;

    /** A store in {@code root} (created on the first save); skipped checkpoints are reported to {@code warnings}. */
    public CheckpointStore(Path root, Consumer<String> warnings) {
        this.root = root;
        this.warnings = warnings;
    }

    /** The directory of the checkpoint of {@code step}. */
    public Path directoryOf(long step) {
        return root.resolve(String.format("step-%08d", step));
    }

    /** Saves the model, the optimizer and {@code state} as the checkpoint of {@code state.step()}; returns its directory. */
    public Path save(Gpt2 model, Optimizer optimizer, CheckpointState state) {
        Path target = directoryOf(state.step());
        Path tmp = target.resolveSibling(target.getFileName() + TEMPORARY_SUFFIX);
        try {
            Files.createDirectories(root);
            DurableFiles.deleteTree(tmp);
            Files.createDirectory(tmp);
            pause();
            model.save(tmp.resolve(MODEL_FILE));
            pause();
            OptimizerStateFile.write(tmp.resolve(OPTIMIZER_FILE), optimizer);
            pause();
            Map<String, String> checksums = new LinkedHashMap<>();
            checksums.put(MODEL_FILE, DurableFiles.sha256(tmp.resolve(MODEL_FILE)));
            checksums.put(OPTIMIZER_FILE, DurableFiles.sha256(tmp.resolve(OPTIMIZER_FILE)));
            DurableFiles.writeSynced(tmp.resolve(STATE_FILE),
                    Json.write(state.toJson(checksums)).getBytes(StandardCharsets.UTF_8));
            pause();
            DurableFiles.writeSynced(tmp.resolve(COMMIT_FILE),
                    (DurableFiles.sha256(tmp.resolve(STATE_FILE)) + "\n").getBytes(StandardCharsets.UTF_8));
            DurableFiles.syncDirectory(tmp);
            pause();
            // A checkpoint of the same step (a run resumed there) is replaced; the older ones stay.
            DurableFiles.deleteTree(target);
            Files.move(tmp, target, StandardCopyOption.ATOMIC_MOVE);
            DurableFiles.syncDirectory(root);
            return target;
        } catch (IOException e) {
            throw new UncheckedIOException("cannot save checkpoint " + target + ": " + e.getMessage(), e);
        }
    }

    private static void pause() {
        long millis = Long.getLong(PAUSE_PROPERTY, 0);
        if (millis > 0) {
            try {
                Thread.sleep(millis);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        }
    }

    /**
     * Deletes all but the newest {@code keepLast} committed checkpoints, every unfinished one
     * older than those, and leftover temporary directories. Does not verify checksums.
     */
    public void prune(int keepLast) {
        if (keepLast < 1) {
            throw new IllegalArgumentException("--keep-last must be at least 1, got " + keepLast);
        }
        int kept = 0;
        for (Path dir : stepDirectories()) {
            if (kept < keepLast) {
                kept += Files.exists(dir.resolve(COMMIT_FILE)) ? 1 : 0;
            } else {
                DurableFiles.deleteTree(dir);
            }
        }
        for (Path tmp : list(p -> p.getFileName().toString().endsWith(TEMPORARY_SUFFIX))) {
            DurableFiles.deleteTree(tmp);
        }
    }

    /**
     * The newest checkpoint whose commit marker and checksums verify, or empty when there is
     * none; every newer directory skipped is reported with the reason. A verified checkpoint of
     * another format version or with a config other than {@code expectedConfig} is refused with
     * a BadInputException before anything is changed.
     */
    public Optional<Checkpoint> latest(SequencedMap<String, String> expectedConfig) {
        Optional<Checkpoint> found = latest();
        found.ifPresent(c -> requireSameConfig(c.directory().resolve(STATE_FILE), c.state().config(), expectedConfig));
        return found;
    }

    /** {@link #latest(SequencedMap)} without the config comparison (for export and inspection). */
    public Optional<Checkpoint> latest() {
        for (Path tmp : list(p -> p.getFileName().toString().endsWith(TEMPORARY_SUFFIX))) {
            warnings.accept("checkpoint: ignoring " + tmp + ": an unfinished save (still under its temporary name)");
        }
        for (Path dir : stepDirectories()) {
            String problem = verify(dir);
            if (problem != null) {
                warnings.accept("checkpoint: skipping " + dir + ": " + problem);
                continue;
            }
            return Optional.of(load(dir));
        }
        return Optional.empty();
    }

    /**
     * The checkpoint in {@code dir} (one step-NNNNNNNN directory), verified; a BadInputException
     * says why when it is incomplete or corrupted.
     */
    public static Checkpoint open(Path dir) {
        if (!Files.isDirectory(dir)) {
            throw new BadInputException(dir, "no such checkpoint directory");
        }
        String problem = verify(dir);
        if (problem != null) {
            throw new BadInputException(dir, problem);
        }
        return load(dir);
    }

    private static Checkpoint load(Path dir) {
        Path stateFile = dir.resolve(STATE_FILE);
        return new Checkpoint(dir, CheckpointState.fromJson(stateFile, Json.parse(stateFile, read(stateFile))));
    }

    /** Why {@code dir} is not a complete checkpoint, or null when its marker and checksums verify. */
    private static String verify(Path dir) {
        Path marker = dir.resolve(COMMIT_FILE);
        if (!Files.exists(marker)) {
            return "no " + COMMIT_FILE + " marker (the save did not finish)";
        }
        Path stateFile = dir.resolve(STATE_FILE);
        if (!Files.exists(stateFile)) {
            return "no " + STATE_FILE;
        }
        String stateSum = DurableFiles.sha256(stateFile);
        if (!read(marker).strip().equals(stateSum)) {
            return STATE_FILE + " does not match the checksum in " + COMMIT_FILE;
        }
        Map<String, String> sums = CheckpointState.checksums(stateFile, Json.parse(stateFile, read(stateFile)));
        for (String name : List.of(MODEL_FILE, OPTIMIZER_FILE)) {
            Path file = dir.resolve(name);
            if (!Files.exists(file)) {
                return "no " + name;
            }
            String found = DurableFiles.sha256(file);
            if (!found.equals(sums.get(name))) {
                return name + " has checksum " + found + " but " + STATE_FILE + " says " + sums.get(name);
            }
        }
        return null;
    }

    private static void requireSameConfig(Path stateFile, Map<String, String> found, Map<String, String> expected) {
        if (found.equals(expected)) {
            return;
        }
        for (Map.Entry<String, String> e : expected.entrySet()) {
            if (!e.getValue().equals(found.get(e.getKey()))) {
                throw new BadInputException(stateFile, "checkpoint is from another config: " + e.getKey() + " is "
                        + found.get(e.getKey()) + " there, " + e.getValue() + " in this run");
            }
        }
        List<String> extra = new ArrayList<>(found.keySet());
        extra.removeAll(expected.keySet());
        throw new BadInputException(stateFile, "checkpoint is from another config: it has settings this run lacks: "
                + extra);
    }

    /** The step-NNNNNNNN directories, newest step first. */
    private List<Path> stepDirectories() {
        List<Path> dirs = new ArrayList<>(list(p -> NAME.matcher(p.getFileName().toString()).matches()));
        dirs.sort(Comparator.comparingLong(CheckpointStore::stepOf).reversed());
        return dirs;
    }

    private static long stepOf(Path dir) {
        Matcher m = NAME.matcher(dir.getFileName().toString());
        return m.matches() ? Long.parseLong(m.group(1)) : -1;
    }

    private List<Path> list(Predicate<Path> which) {
        if (!Files.isDirectory(root)) {
            return List.of();
        }
        try (Stream<Path> entries = Files.list(root)) {
            return entries.filter(Files::isDirectory).filter(which).toList();
        } catch (IOException e) {
            throw new UncheckedIOException("cannot list " + root + ": " + e.getMessage(), e);
        }
    }

    private static String read(Path file) {
        try {
            return Files.readString(file, StandardCharsets.UTF_8);
        } catch (MalformedInputException e) {
            throw new BadInputException(file, "is not UTF-8 text");
        } catch (IOException e) {
            throw new UncheckedIOException("cannot read " + file + ": " + e.getMessage(), e);
        }
    }
}
