// `train --epochs`, `--patience` and `--test-data` through Main: the step count of N epochs
// computed here from the shard's length; early stopping at the step the reported validation
// losses call for (recomputed here from the metrics file), saved as a checkpoint that a resume
// recognises as finished; the test shard's loss in --json (against the saved model evaluated
// here); and the usage errors of these options.
package org.panatrain.engine.cli;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.panatrain.engine.cli.MainTest.Outcome;
import org.panatrain.engine.io.Json;
import org.panatrain.engine.io.TokenShard;
import org.panatrain.engine.model.Gpt2;
import org.panatrain.engine.model.Gpt2Step;
import org.panatrain.kernels.cpu.CpuKernels;

class TrainEpochsPatienceTest {
    private static final String TINY = "{\"n_layer\": 1, \"n_head\": 2, \"n_embd\": 16, \"n_positions\": 16, \"vocab_size\": 256}";

    @TempDir
    Path dir;

    private Path config() throws Exception {
        Path config = dir.resolve("tiny.json");
        Files.writeString(config, TINY);
        return config;
    }

    private Path shard(String name, int length, int token) {
        int[] tokens = new int[length];
        Arrays.fill(tokens, token);
        Path file = dir.resolve(name);
        TokenShard.write(file, tokens);
        return file;
    }

    private static Map<?, ?> json(Outcome o) {
        assertThat(o.status()).as(o.err()).isZero();
        return (Map<?, ?>) Json.parse(o.lastOutLine());
    }

    @Test
    void epochsAreFullPassesOverTheShard() throws Exception {
        Path train = shard("train.bin", 200, 7);
        Path metrics = dir.resolve("m.jsonl");
        // 199 / (2 x 8) = 12 batches per pass, 2 per step: 6 steps an epoch, 12 for two.
        Map<?, ?> result = json(MainTest.run("train", "--config", config().toString(), "--data", train.toString(),
                "--epochs", "2", "--batch", "2", "--seq", "8", "--grad-accum", "2", "--device", "cpu", "--threads", "1",
                "--metrics", metrics.toString(), "--json"));
        assertThat(result.get("steps")).isEqualTo(12L);
        assertThat(Files.readAllLines(metrics)).hasSize(12);
        assertThat(result.get("val_loss")).isNull();
        assertThat(result.get("test_loss")).isNull();
    }

    @Test
    void patienceStopsWhenValidationStopsImprovingAndTheCheckpointRemembersIt() throws Exception {
        // Trained on a constant token 'a', validated on a constant 'b': the validation loss rises.
        Path train = shard("a.bin", 300, 'a');
        Path val = shard("b.bin", 300, 'b');
        Path test = shard("c.bin", 100, 'c');
        Path metrics = dir.resolve("m.jsonl");
        Path ckpt = dir.resolve("ckpt");
        List<String> args = List.of("train", "--config", config().toString(), "--data", train.toString(), "--val-data",
                val.toString(), "--test-data", test.toString(), "--steps", "30", "--batch", "2", "--seq", "8",
                "--lr", "1e-2", "--eval-every", "1", "--eval-batches", "2", "--patience", "2", "--device", "cpu",
                "--threads", "1", "--checkpoint-dir", ckpt.toString(), "--checkpoint-every", "100", "--json");
        Path saved = dir.resolve("stopped.safetensors");
        Map<?, ?> result = json(MainTest.run(concat(args, "--metrics", metrics.toString(), "--save", saved.toString())));

        // The stop step by the rule, from the validation losses the run reported.
        List<String> lines = Files.readAllLines(metrics);
        double best = Double.POSITIVE_INFINITY;
        int since = 0;
        int expectedStop = -1;
        for (int i = 0; i < lines.size() && expectedStop < 0; i++) {
            double v = ((Number) ((Map<?, ?>) Json.parse(lines.get(i))).get("val_loss")).doubleValue();
            since = v < best ? 0 : since + 1;
            best = Math.min(best, v);
            expectedStop = since == 2 ? i + 1 : -1;
        }
        assertThat(expectedStop).isBetween(2, 29);
        assertThat(lines).hasSize(expectedStop);
        assertThat(result.get("steps")).isEqualTo((long) expectedStop);
        assertThat(result.get("stopped_early")).isEqualTo(true);
        // The test shard: 100 tokens 'c', 6 batches of 2 x 8, evaluated here with the model of the stop step.
        double expectedTestLoss;
        int[] in = new int[16];
        Arrays.fill(in, 'c');
        try (CpuKernels k = CpuKernels.create(1); Gpt2 model = Gpt2.load(saved, k); Gpt2Step step = model.newStep(2, 8)) {
            expectedTestLoss = step.loss(in, in); // every batch of a constant shard is this one
        }
        assertThat(((Number) result.get("test_loss")).doubleValue()).isCloseTo(expectedTestLoss, within(1e-5));
        assertThat(ckpt.resolve(String.format("step-%08d", expectedStop))).isDirectory();

        // Resumed, the run is already over: no step runs.
        Path again = dir.resolve("again.jsonl");
        Map<?, ?> resumed = json(MainTest.run(concat(args, "--resume", "--metrics", again.toString())));
        assertThat(resumed.get("steps")).isEqualTo((long) expectedStop);
        assertThat(resumed.get("stopped_early")).isEqualTo(true);
        assertThat(Files.readAllLines(again)).isEmpty();
        assertThat(((Number) resumed.get("test_loss")).doubleValue()).isCloseTo(expectedTestLoss, within(1e-5));
    }

    @Test
    void optionsThatNeedEachOtherAreUsageErrors() throws Exception {
        Path train = shard("t.bin", 100, 1);
        String c = config().toString();
        assertUsage(MainTest.run("train", "--epochs", "1", "--steps", "3"), "give --steps or --epochs, not both");
        assertUsage(MainTest.run("train", "--epochs", "1"), "--epochs counts passes over a token shard or prepared folder");
        assertUsage(MainTest.run("train", "--resume"), "--resume needs --checkpoint-dir");
        assertUsage(MainTest.run("train", "--keep-last", "2"), "--keep-last needs --checkpoint-dir");
        assertUsage(MainTest.run("train", "--config", c, "--data", train.toString(), "--patience", "2", "--steps", "1",
                "--batch", "2", "--seq", "8", "--device", "cpu"), "--patience needs validation data");
    }

    private static void assertUsage(Outcome o, String part) {
        assertThat(o.status()).as(o.err()).isEqualTo(2);
        assertThat(o.errLines()).last().asString().startsWith("panatrain train: ").contains(part);
    }

    private static String[] concat(List<String> a, String... more) {
        return java.util.stream.Stream.concat(a.stream(), Arrays.stream(more)).toArray(String[]::new);
    }
}
