// Checkpoints through the CLI. A 6-step `train` on a token shard (read by the prefetching
// ShardLoader, whose epoch, shard and offset state.json records) saving every 2 steps; its step-6 checkpoint loses
// its COMMIT marker (a save cut short); `train --resume` falls back to step 4 and its steps 5 and 6
// have the same losses (--metrics) and final weights (--save) as the uninterrupted run, bit for
// bit. Both runs are fresh JVMs running Main (ChildJvm) with 2 threads, as a user would run them
// (the CPU kernels give the same bits at every JIT tier and on every worker, whatever it has
// compiled: lane sums in a fixed order, exp of our own). Then `export` + `eval` give the loss of the
// trained model evaluated here, `sample --checkpoint` samples it, and a resume with another
// learning rate is refused. The same holds with --optimizer adamw8bit (its INT8 state in the checkpoint)
// and with --dropout (the masks of the resumed steps are those of the uninterrupted run).
package org.panatrain.engine.cli;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.panatrain.engine.checkpoint.ChildJvm;
import org.panatrain.engine.cli.MainTest.Outcome;
import org.panatrain.engine.io.Json;
import org.panatrain.engine.io.TokenShard;
import org.panatrain.engine.model.Gpt2;
import org.panatrain.engine.model.Gpt2Step;
import org.panatrain.kernels.cpu.CpuKernels;

class TrainResumeExportTest {
    private static final String TINY = "{\"n_layer\": 2, \"n_head\": 2, \"n_embd\": 16, \"n_positions\": 16, \"vocab_size\": 256}";
    private static final int B = 2;
    private static final int T = 8;

    @TempDir
    Path dir;

    /** `train` in a fresh JVM; returns after it exited 0. */
    private void trainInChild(List<String> args) throws Exception {
        Process p = ChildJvm.start(Main.class, List.of(), args.toArray(String[]::new));
        assertThat(p.waitFor(120, TimeUnit.SECONDS)).isTrue();
        assertThat(p.exitValue()).as("exit status of train %s", args).isZero();
    }

    /** (step, loss) of each metrics line. */
    private static List<List<Object>> losses(Path metrics) throws Exception {
        List<List<Object>> out = new ArrayList<>();
        for (String line : Files.readAllLines(metrics)) {
            Map<?, ?> m = (Map<?, ?>) Json.parse(line);
            out.add(List.of(m.get("step"), m.get("loss")));
        }
        return out;
    }

    @Test
    void resumedRunMatchesTheUninterruptedOneAndExportEvaluatesAsTheFinalModel() throws Exception {
        Path config = dir.resolve("tiny.json");
        Files.writeString(config, TINY);
        // 150 tokens: 9 batches of 2 x 8 per pass, so the 12 micro-batches wrap around in step 5.
        int[] tokens = new Random(3).ints(150, 0, 256).toArray();
        Path shard = dir.resolve("train.bin");
        TokenShard.write(shard, tokens);
        Path ckpt = dir.resolve("ckpt");
        List<String> common = List.of("train", "--config", config.toString(), "--data", shard.toString(), "--steps", "6",
                "--batch", Integer.toString(B), "--seq", Integer.toString(T), "--grad-accum", "2", "--lr", "1e-2",
                "--device", "cpu", "--threads", "2", "--checkpoint-dir", ckpt.toString(), "--checkpoint-every", "2",
                "--keep-last", "3");
        Path straightMetrics = dir.resolve("straight.jsonl");
        Path straightWeights = dir.resolve("straight.safetensors");
        trainInChild(concat(common, "--metrics", straightMetrics.toString(), "--save", straightWeights.toString()));
        try (Stream<Path> dirs = Files.list(ckpt)) {
            assertThat(dirs.map(p -> p.getFileName().toString()).sorted())
                    .containsExactly("step-00000002", "step-00000004", "step-00000006");
        }
        List<List<Object>> straight = losses(straightMetrics);
        assertThat(straight).hasSize(6);
        // 9 batches of 16 tokens per pass: after 8 micro-batches at offset 128 of pass 0, after 12 at 48 of pass 1.
        assertThat(dataPosition(ckpt.resolve("step-00000004"))).isEqualTo(Map.of("epoch", 0L, "shard", 0L, "position", 128L));
        assertThat(dataPosition(ckpt.resolve("step-00000006"))).isEqualTo(Map.of("epoch", 1L, "shard", 0L, "position", 48L));

        Files.delete(ckpt.resolve("step-00000006").resolve("COMMIT")); // the save of step 6 never finished
        Path resumedMetrics = dir.resolve("resumed.jsonl");
        Path resumedWeights = dir.resolve("resumed.safetensors");
        trainInChild(concat(common, "--resume", "--metrics", resumedMetrics.toString(), "--save", resumedWeights.toString()));
        assertThat(losses(resumedMetrics)).isEqualTo(straight.subList(4, 6));
        assertThat(Files.mismatch(resumedWeights, straightWeights)).as("final weights, byte for byte").isEqualTo(-1);

        // export (the newest checkpoint: step 6 again) + eval = the final model's loss computed here.
        Path exported = dir.resolve("exported.safetensors");
        Outcome export = MainTest.run("export", "--checkpoint", ckpt.toString(), "--out", exported.toString(), "--json");
        assertThat(export.status()).as(export.err()).isZero();
        assertThat(((Map<?, ?>) Json.parse(export.lastOutLine())).get("step")).isEqualTo(6L);
        double expected = meanLoss(straightWeights, tokens);
        assertThat(evalLoss(exported)).isCloseTo(expected, within(1e-6));

        Path step4 = dir.resolve("step4.safetensors");
        assertThat(MainTest.run("export", "--checkpoint", ckpt.toString(), "--step", "4", "--out", step4.toString())
                .status()).isZero();
        assertThat(evalLoss(step4)).isNotCloseTo(expected, within(1e-6));
        Path step4Again = dir.resolve("step4-again.safetensors");
        assertThat(MainTest.run("export", "--checkpoint", ckpt.resolve("step-00000004").toString(), "--out",
                step4Again.toString()).status()).isZero();
        assertThat(Files.mismatch(step4, step4Again)).isEqualTo(-1);
        Outcome missing = MainTest.run("export", "--checkpoint", ckpt.toString(), "--step", "3", "--out", "x.safetensors");
        assertThat(missing.status()).isEqualTo(2);
        assertThat(missing.errLines()).singleElement().asString().contains("step-00000003: no such checkpoint directory");

        Outcome fromCheckpoint = MainTest.run("sample", "--checkpoint", ckpt.toString(), "--prompt", "ab", "--tokens", "6",
                "--temperature", "0", "--device", "cpu");
        Outcome fromWeights = MainTest.run("sample", "--weights", exported.toString(), "--prompt", "ab", "--tokens", "6",
                "--temperature", "0", "--device", "cpu");
        assertThat(fromCheckpoint.status()).as(fromCheckpoint.err()).isZero();
        assertThat(fromCheckpoint.out()).isEqualTo(fromWeights.out()).startsWith("ab");

        // Resuming with another learning rate is refused before anything runs or changes.
        List<String> otherLr = new ArrayList<>(common);
        otherLr.set(otherLr.indexOf("1e-2"), "2e-2");
        Outcome refused = MainTest.run(concat(otherLr, "--resume").toArray(String[]::new));
        assertThat(refused.status()).isEqualTo(2);
        assertThat(refused.errLines()).last().asString().contains("state.json: checkpoint is from another config: lr is 0.01");
    }

    @Test
    void resumedAdamW8bitRunMatchesTheUninterruptedOne() throws Exception {
        resumedRunMatchesTheUninterruptedOne(List.of("--optimizer", "adamw8bit"));
    }

    /**
     * With dropout (and two micro-batches a step, each drawing its own masks), the resumed steps
     * draw the masks of the uninterrupted run: the same losses and weights, bit for bit. A resume
     * with another dropout is refused, naming the setting.
     */
    @Test
    void resumedDropoutRunMatchesTheUninterruptedOneAndAnotherDropoutIsRefused() throws Exception {
        List<String> common = resumedRunMatchesTheUninterruptedOne(List.of("--dropout", "0.1", "--grad-accum", "2"));
        List<String> other = new ArrayList<>(common);
        other.set(other.indexOf("0.1"), "0.2");
        Outcome refused = MainTest.run(concat(other, "--resume").toArray(String[]::new));
        assertThat(refused.status()).isEqualTo(2);
        assertThat(refused.errLines()).last().asString()
                .contains("state.json: checkpoint is from another config: dropout is 0.1 there, 0.2 in this run");
    }

    /**
     * A 4-step run with {@code options} checkpointing every 2 steps, its step-4 save cut short, and
     * the run resumed from step 2: steps 3 and 4 match; returns the run's arguments.
     */
    private List<String> resumedRunMatchesTheUninterruptedOne(List<String> options) throws Exception {
        Path config = dir.resolve("tiny.json");
        Files.writeString(config, TINY);
        Path shard = dir.resolve("train.bin");
        TokenShard.write(shard, new Random(4).ints(150, 0, 256).toArray());
        Path ckpt = dir.resolve("ckpt");
        List<String> common = new ArrayList<>(List.of("train", "--config", config.toString(), "--data", shard.toString(),
                "--steps", "4", "--batch", Integer.toString(B), "--seq", Integer.toString(T), "--lr", "1e-2",
                "--device", "cpu", "--threads", "2", "--checkpoint-dir", ckpt.toString(), "--checkpoint-every", "2"));
        common.addAll(options);
        Path straightMetrics = dir.resolve("straight.jsonl");
        Path straightWeights = dir.resolve("straight.safetensors");
        trainInChild(concat(common, "--metrics", straightMetrics.toString(), "--save", straightWeights.toString()));
        Files.delete(ckpt.resolve("step-00000004").resolve("COMMIT"));
        Path resumedMetrics = dir.resolve("resumed.jsonl");
        Path resumedWeights = dir.resolve("resumed.safetensors");
        trainInChild(concat(common, "--resume", "--metrics", resumedMetrics.toString(), "--save", resumedWeights.toString()));
        List<List<Object>> straight = losses(straightMetrics);
        assertThat(straight).hasSize(4);
        assertThat(losses(resumedMetrics)).isEqualTo(straight.subList(2, 4));
        assertThat(Files.mismatch(resumedWeights, straightWeights)).as("final weights, byte for byte").isEqualTo(-1);
        return common;
    }

    /** epoch, shard and position of the data object of a checkpoint's state.json. */
    private static Map<Object, Object> dataPosition(Path checkpoint) throws Exception {
        Map<?, ?> data = (Map<?, ?>) ((Map<?, ?>) Json.parse(Files.readString(checkpoint.resolve("state.json")))).get("data");
        return Map.of("epoch", data.get("epoch"), "shard", data.get("shard"), "position", data.get("position"));
    }

    private double evalLoss(Path weights) {
        Outcome o = MainTest.run("eval", "--weights", weights.toString(), "--data", dir.resolve("train.bin").toString(),
                "--batch", Integer.toString(B), "--seq", Integer.toString(T), "--device", "cpu", "--json");
        assertThat(o.status()).as(o.err()).isZero();
        return ((Number) ((Map<?, ?>) Json.parse(o.lastOutLine())).get("loss")).doubleValue();
    }

    /** The mean loss of every B x T batch of {@code tokens} that fits, cut here (targets shifted by one). */
    private static double meanLoss(Path weights, int[] tokens) {
        int batches = (tokens.length - 1) / (B * T);
        double sum = 0;
        try (CpuKernels k = CpuKernels.create(1); Gpt2 model = Gpt2.load(weights, k); Gpt2Step step = model.newStep(B, T)) {
            for (int b = 0; b < batches; b++) {
                sum += step.loss(Arrays.copyOfRange(tokens, b * B * T, (b + 1) * B * T),
                        Arrays.copyOfRange(tokens, b * B * T + 1, (b + 1) * B * T + 1));
            }
        }
        return sum / batches;
    }

    private static List<String> concat(List<String> a, String... more) {
        List<String> all = new ArrayList<>(a);
        all.addAll(List.of(more));
        return all;
    }
}
