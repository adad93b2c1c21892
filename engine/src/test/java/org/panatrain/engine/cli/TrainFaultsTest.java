// Faults through the CLI. A learning rate of 1e6 on the built-in task makes the loss non-finite
// within a few steps (checked: the logged losses before it are finite): exit 1 and one line
// naming the step and the newest checkpoint on disk, the one resumed from, or none. Ctrl-C: a fresh JVM running Main
// gets SIGINT once its metrics file shows progress; it exits 0 with a complete checkpoint of the
// last step it logged, and `--resume` continues from the step after it (interrupted again).
package org.panatrain.engine.cli;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.panatrain.engine.checkpoint.CheckpointStore;
import org.panatrain.engine.checkpoint.ChildJvm;
import org.panatrain.engine.cli.MainTest.Outcome;
import org.panatrain.engine.io.Json;

class TrainFaultsTest {
    private static final String TINY = "{\"n_layer\": 1, \"n_head\": 2, \"n_embd\": 16, \"n_positions\": 16, \"vocab_size\": 256}";
    private static final Pattern DIVERGED = Pattern.compile("panatrain train: training diverged: loss (NaN|-?Infinity) at step"
            + " (\\d+); last good checkpoint: (\\S+); try a lower --lr, a smaller --clip, or --precision bf16/fp32(.*)");
    private static final Pattern PROGRESS = Pattern.compile("step +(\\d+)/\\d+ \\| loss (\\S+) .*");

    @TempDir
    Path dir;

    private Path tinyConfig() throws Exception {
        Path config = dir.resolve("tiny.json");
        Files.writeString(config, TINY);
        return config;
    }

    private static List<String> checkpoints(Path root) throws Exception {
        try (Stream<Path> dirs = Files.list(root)) {
            return dirs.filter(d -> Files.exists(d.resolve(CheckpointStore.COMMIT_FILE)))
                    .map(d -> d.getFileName().toString()).sorted().toList();
        }
    }

    /**
     * The diverged line's matcher, after checking that every step logged before it (those after
     * {@code firstStep}) had a finite loss.
     */
    private static Matcher diverged(Outcome o, int firstStep) {
        assertThat(o.status()).as(o.err()).isEqualTo(1);
        Matcher m = DIVERGED.matcher(o.errLines().getLast());
        assertThat(m.matches()).as(o.errLines().getLast()).isTrue();
        int step = Integer.parseInt(m.group(2));
        List<Matcher> logged = o.errLines().stream().map(PROGRESS::matcher).filter(Matcher::matches).toList();
        assertThat(logged).hasSize(step - 1 - firstStep); // --log-every 1
        for (Matcher line : logged) {
            assertThat(Double.parseDouble(line.group(2))).isFinite();
        }
        return m;
    }

    @Test
    void nonFiniteLossStopsWithTheStepAndTheLastCheckpoint() throws Exception {
        Path ckpt = dir.resolve("ckpt");
        Matcher m = diverged(MainTest.run("train", "--config", tinyConfig().toString(), "--steps", "40", "--batch", "4",
                "--lr", "1e6", "--threads", "1", "--log-every", "1", "--checkpoint-dir", ckpt.toString(),
                "--checkpoint-every", "2"), 0);
        int step = Integer.parseInt(m.group(2));
        List<String> saved = checkpoints(ckpt);
        assertThat(saved).isNotEmpty();
        assertThat(m.group(3)).isEqualTo(ckpt.resolve(saved.getLast()).toString());
        assertThat(saved.getLast()).isEqualTo(String.format("step-%08d", (step - 1) / 2 * 2));
        assertThat(m.group(4)).isEqualTo(", and --resume from the checkpoint (--debug shows the stack trace)");

        // resumed from that checkpoint and saving none of its own: the one it resumed from is the last good one
        Matcher resumed = diverged(MainTest.run("train", "--config", tinyConfig().toString(), "--steps", "40", "--batch",
                "4", "--lr", "1e6", "--threads", "1", "--log-every", "1", "--checkpoint-dir", ckpt.toString(),
                "--checkpoint-every", "0", "--resume"), (step - 1) / 2 * 2);
        assertThat(resumed.group(3)).isEqualTo(ckpt.resolve(saved.getLast()).toString());

        Matcher none = diverged(MainTest.run("train", "--config", tinyConfig().toString(), "--steps", "40", "--batch", "4",
                "--lr", "1e6", "--threads", "1", "--log-every", "1"), 0);
        assertThat(none.group(3)).isEqualTo("none");
        assertThat(none.group(4)).isEqualTo(" (--debug shows the stack trace)");
    }

    /** The steps of a metrics file's lines. */
    private static List<Long> metricSteps(Path metrics) throws Exception {
        if (!Files.exists(metrics)) {
            return List.of();
        }
        return Files.readAllLines(metrics).stream().filter(l -> l.endsWith("}"))
                .map(l -> ((Number) ((Map<?, ?>) Json.parse(l)).get("step")).longValue()).toList();
    }

    /** Runs train in a fresh JVM, sends it SIGINT after {@code minSteps} logged steps; returns the steps it logged. */
    private List<Long> trainUntilInterrupted(Path ckpt, Path metrics, boolean resume) throws Exception {
        List<String> args = new java.util.ArrayList<>(List.of("train", "--config", tinyConfig().toString(), "--steps",
                "20000", "--batch", "2", "--threads", "1", "--checkpoint-dir", ckpt.toString(), "--checkpoint-every", "0",
                "--metrics", metrics.toString(), "--report", dir.resolve("report.html").toString()));
        if (resume) {
            args.add("--resume");
        }
        Process p = ChildJvm.start(Main.class, List.of(), args.toArray(String[]::new));
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(60);
        while (metricSteps(metrics).size() < 3 && p.isAlive() && System.nanoTime() < deadline) {
            Thread.sleep(20);
        }
        assertThat(p.isAlive()).as("still training").isTrue();
        assertThat(new ProcessBuilder("kill", "-INT", Long.toString(p.pid())).start().waitFor()).isZero();
        assertThat(p.waitFor(60, TimeUnit.SECONDS)).isTrue();
        assertThat(p.exitValue()).isZero();
        return metricSteps(metrics);
    }

    @Test
    void sigintFinishesTheStepSavesACheckpointAndExitsZero() throws Exception {
        Path ckpt = dir.resolve("ckpt");
        List<Long> first = trainUntilInterrupted(ckpt, dir.resolve("first.jsonl"), false);
        long stopped = first.getLast();
        assertThat(first.getFirst()).isEqualTo(1);
        assertThat(stopped).isLessThan(20000);
        assertThat(checkpoints(ckpt)).containsExactly(String.format("step-%08d", stopped));

        List<Long> resumed = trainUntilInterrupted(ckpt, dir.resolve("resumed.jsonl"), true);
        assertThat(resumed.getFirst()).isEqualTo(stopped + 1);
        assertThat(checkpoints(ckpt)).containsExactly(String.format("step-%08d", stopped),
                String.format("step-%08d", resumed.getLast()));
    }
}
