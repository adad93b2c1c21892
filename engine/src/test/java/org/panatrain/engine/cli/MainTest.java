// Drives the CLI in-process through Main.run: exit codes and one-line errors for bad usage and
// bad input, the fixed keys of --json, the metrics file, and eval on a shard written here.
package org.panatrain.engine.cli;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.Random;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.panatrain.engine.io.Json;
import org.panatrain.engine.io.TokenShard;
import org.panatrain.engine.model.Gpt2;
import org.panatrain.engine.model.Gpt2Config;
import org.panatrain.engine.model.Gpt2Step;
import org.panatrain.kernels.cpu.CpuKernels;

class MainTest {
    private static final String TINY = "{\"n_layer\": 1, \"n_head\": 2, \"n_embd\": 16, \"n_positions\": 16, \"vocab_size\": 256}";

    @TempDir
    Path dir;

    /** Exit status, stdout and stderr of one command line. */
    record Outcome(int status, String out, String err) {
        List<String> errLines() {
            return err.lines().toList();
        }

        String lastOutLine() {
            List<String> lines = out.lines().toList();
            return lines.getLast();
        }
    }

    static Outcome run(String... args) {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        ByteArrayOutputStream err = new ByteArrayOutputStream();
        int status = Main.run(args, new PrintStream(out, true, StandardCharsets.UTF_8),
                new PrintStream(err, true, StandardCharsets.UTF_8));
        return new Outcome(status, out.toString(StandardCharsets.UTF_8), err.toString(StandardCharsets.UTF_8));
    }

    private void assertUsage(Outcome o, String line) {
        assertThat(o.status()).isEqualTo(2);
        assertThat(o.errLines()).containsExactly(line);
    }

    @Test
    void usageErrorsExitWithTwoAndOneLine() {
        assertUsage(run("train", "--batch", "x"), "panatrain train: --batch: expected a positive integer, got 'x'");
        assertUsage(run("train", "--batch=-3"), "panatrain train: --batch: expected a positive integer, got '-3'");
        assertUsage(run("train", "--lr", "fast"), "panatrain train: --lr: expected a non-negative number, got 'fast'");
        assertUsage(run("train", "--steps"), "panatrain train: --steps: missing value (N)");
        assertUsage(run("train", "--frobnicate", "3"), "panatrain train: unknown option --frobnicate (see --help)");
        assertUsage(run("eval", "--json"), "panatrain eval: --weights is required");
        assertUsage(run("train", "--model", "gpt5"), "panatrain train: --model: unknown model 'gpt5' (known: "
                + String.join(", ", Gpt2Config.PRESETS.keySet()) + ")");
        assertUsage(run("train", "--warmup", "50", "--steps", "10"),
                "panatrain train: --warmup must be in [0, steps = 10], got 50");
        assertUsage(run("train", "--model", "gpt2-tiny", "--config", "x.json"), "panatrain train: give --model or --config, not both");
        assertThat(run("frobnicate").status()).isEqualTo(2);
        assertThat(run().status()).isEqualTo(2);
    }

    @Test
    void badInputFilesExitWithTwoAndNameTheFile() throws Exception {
        Path config = dir.resolve("bad.json");
        Files.writeString(config, "{\"n_layer\": 1, \"n_head\": 3, \"n_embd\": 16, \"n_positions\": 16, \"vocab_size\": 256}");
        Outcome o = run("train", "--config", config.toString(), "--device", "cpu");
        assertThat(o.status()).isEqualTo(2);
        assertThat(o.errLines()).hasSize(1);
        assertThat(o.err()).startsWith("panatrain train: " + config + ": ").contains("n_head");

        Files.writeString(config, "{\"n_layer\": 1, \"n_head\": 2");
        o = run("train", "--config", config.toString());
        assertThat(o.status()).isEqualTo(2);
        assertThat(o.errLines()).hasSize(1);
        assertThat(o.err()).contains(config.toString()).contains("JSON");

        Path missing = dir.resolve("missing.bin");
        assertUsage(run("eval", "--weights", missing.toString()), "panatrain eval: " + missing + ": no such file");

        Path shard = dir.resolve("bad.bin");
        Files.write(shard, new byte[2048]); // a zero header: wrong magic
        Path weights = tinyWeights();
        o = run("eval", "--weights", weights.toString(), "--data", shard.toString(), "--device", "cpu");
        assertThat(o.status()).isEqualTo(2);
        assertThat(o.errLines()).hasSize(1);
        assertThat(o.err()).startsWith("panatrain eval: " + shard + ": ").doesNotContain("Exception");
    }

    @Test
    void otherFailuresExitWithOneAndOneLine_stackTraceOnlyWithDebug() {
        Outcome o = run("train", "--device", "cuda", "--steps", "1");
        assertThat(o.status()).isEqualTo(1);
        assertThat(o.errLines()).hasSize(1);
        assertThat(o.err()).startsWith("panatrain train: --device cuda: CUDA is not available: ");

        Outcome debug = run("train", "--device", "cuda", "--steps", "1", "--debug");
        assertThat(debug.status()).isEqualTo(1);
        assertThat(debug.err()).contains("\tat ", "Backends.open");
    }

    @Test
    void helpPrintsEachCommandsOptions() {
        Outcome o = run("help", "train");
        assertThat(o.status()).isZero();
        assertThat(o.out()).contains("--batch B", "--grad-accum N", "--metrics FILE", "--device auto|cpu|cuda");
        assertThat(run("eval", "--help").out()).contains("--weights FILE", "--batches N");
        assertThat(run("--help").out()).contains("train", "eval", "sample", "info");
    }

    @Test
    void optionHelpIsWrappedToOneColumnWhateverTheOptionNameLength() {
        String help = run("help", "plan").out();
        assertThat(help.lines()).allSatisfy(line -> assertThat(line.length()).as(line).isLessThanOrEqualTo(100));
        // a long option (--precision fp32|tf32|...) gets its help on the next line, at column 29
        assertThat(help).containsPattern("\\n  --precision fp32\\|tf32\\|bf16\\|fp16\\|fp8\\n {29}\\S");
        assertThat(help).containsPattern("\\n  --batch B {18}micro-batch size");
        assertThat(help.lines().filter(line -> line.startsWith(" ")))
                .allSatisfy(line -> assertThat(line).matches("  --\\S.*| {29}\\S.*"));
    }

    @Test
    void trainJsonPrintsTheFixedKeysAndTheMetricsFileOneLinePerStep() throws Exception {
        Path config = dir.resolve("tiny.json");
        Files.writeString(config, TINY);
        Path metrics = dir.resolve("metrics.jsonl");
        Path saved = dir.resolve("trained.safetensors");
        Outcome o = run("train", "--config", config.toString(), "--steps", "3", "--batch", "2", "--seq", "8",
                "--grad-accum", "2", "--eval-every", "2", "--device", "cpu", "--threads", "1", "--json",
                "--metrics", metrics.toString(), "--save", saved.toString());
        assertThat(o.status()).as(o.err()).isZero();
        Map<String, Object> result = object(o.lastOutLine());
        assertThat(result.keySet()).contains("steps", "loss", "val_loss", "tokens_per_second", "mfu", "peak_bytes",
                "device", "precision");
        assertThat(result.get("steps")).isEqualTo(3L);
        assertThat(((Number) result.get("loss")).doubleValue()).isBetween(0.0, 10.0);
        assertThat(((Number) result.get("val_loss")).doubleValue()).isBetween(0.0, 10.0); // built-in test split
        assertThat(((Number) result.get("tokens_per_second")).longValue()).isPositive();
        assertThat(result.get("mfu")).isNull();
        assertThat(((Number) result.get("peak_bytes")).longValue()).isGreaterThan(4L * 4 * Gpt2Config.PRESETS.size());
        assertThat(result.get("device")).isEqualTo("cpu");
        assertThat(result.get("precision")).isEqualTo("fp32");
        assertThat(o.err()).contains("micro-batch 2 x 8 tokens x grad-accum 2 = global batch 4 sequences, 32 tokens per step");

        List<String> lines = Files.readAllLines(metrics);
        assertThat(lines).hasSize(3);
        for (int i = 0; i < 3; i++) {
            Map<String, Object> line = object(lines.get(i));
            assertThat(line.get("step")).isEqualTo((long) i + 1);
            assertThat(line.keySet()).contains("loss", "lr", "tokens_per_second");
        }
        assertThat((object(lines.get(1))).keySet()).contains("val_loss");
        assertThat(Files.size(saved)).isGreaterThan(0);
    }

    @Test
    void evalOnAShardMatchesTheStepLossOverTheSameBatches() throws Exception {
        Path weights = tinyWeights();
        int B = 2;
        int T = 8;
        int[] tokens = new int[3 * B * T + 5];
        Random random = new Random(5);
        for (int i = 0; i < tokens.length; i++) {
            tokens[i] = random.nextInt(256);
        }
        Path shard = dir.resolve("val.bin");
        TokenShard.write(shard, tokens);

        Outcome o = run("eval", "--weights", weights.toString(), "--data", shard.toString(), "--batch", "2",
                "--seq", "8", "--batches", "2", "--device", "cpu", "--json");
        assertThat(o.status()).as(o.err()).isZero();
        Map<String, Object> result = object(o.lastOutLine());
        assertThat(result.get("tokens")).isEqualTo(2L * B * T);
        double loss = ((Number) result.get("loss")).doubleValue();
        assertThat(loss).isCloseTo(Math.log(256), within(0.05)); // a fresh N(0, 0.02) model is near uniform

        // The same two batches, cut here from the token array: B*T+1 tokens each, targets shifted by one.
        double expected = 0;
        try (CpuKernels k = CpuKernels.create(1); Gpt2 model = Gpt2.load(weights, k); Gpt2Step step = model.newStep(B, T)) {
            for (int batch = 0; batch < 2; batch++) {
                int[] in = new int[B * T];
                int[] tg = new int[B * T];
                System.arraycopy(tokens, batch * B * T, in, 0, B * T);
                System.arraycopy(tokens, batch * B * T + 1, tg, 0, B * T);
                expected += step.loss(in, tg) / 2;
            }
        }
        assertThat(loss).isCloseTo(expected, within(1e-6));

        Outcome all = run("eval", "--weights", weights.toString(), "--data", shard.toString(), "--batch", "2",
                "--seq", "8", "--device", "cpu", "--json");
        assertThat((object(all.lastOutLine())).get("tokens")).isEqualTo(3L * B * T); // every batch that fits
    }

    @Test
    void trainsOnAShardWithValidationAndRejectsATokenOutsideTheVocabulary() throws Exception {
        Path config = dir.resolve("tiny.json");
        Files.writeString(config, TINY);
        int[] tokens = new int[600];
        Random random = new Random(11);
        for (int i = 0; i < tokens.length; i++) {
            tokens[i] = random.nextInt(256);
        }
        Path shard = dir.resolve("train.bin");
        TokenShard.write(shard, tokens);
        Outcome o = run("train", "--config", config.toString(), "--data", shard.toString(), "--val-data", shard.toString(),
                "--steps", "2", "--batch", "2", "--seq", "8", "--device", "cpu", "--json");
        assertThat(o.status()).as(o.err()).isZero();
        Map<String, Object> result = object(o.lastOutLine());
        assertThat(((Number) result.get("val_loss")).doubleValue()).isCloseTo(Math.log(256), within(0.2));
        assertThat(result).doesNotContainKey("test_accuracy");
        assertThat(((Number) result.get("loader_wait_s")).doubleValue()).isNotNegative(); // read by the shard loader

        tokens[123] = 300;
        Path bad = dir.resolve("bad-token.bin");
        TokenShard.write(bad, tokens);
        o = run("train", "--config", config.toString(), "--data", bad.toString(), "--steps", "1", "--device", "cpu");
        assertThat(o.status()).isEqualTo(2);
        assertThat(o.errLines()).hasSize(1);
        assertThat(o.err()).startsWith("panatrain train: " + bad + ": ").contains("300", "256");

        o = run("train", "--config", config.toString(), "--data", shard.toString(), "--batch", "64", "--seq", "16",
                "--steps", "1", "--device", "cpu");
        assertThat(o.status()).isEqualTo(2);
        assertThat(o.err()).startsWith("panatrain train: " + shard + ": has 600 tokens, fewer than one batch");
    }

    @Test
    void infoJsonReportsCudaAndCpu() {
        Outcome o = run("info", "--json");
        assertThat(o.status()).isZero();
        Map<String, Object> info = object(o.lastOutLine());
        @SuppressWarnings("unchecked")
        Map<String, Object> cuda = (Map<String, Object>) info.get("cuda");
        assertThat(cuda.keySet()).containsExactlyInAnyOrder("available", "reason", "devices");
        assertThat(((Map<?, ?>) info.get("cpu")).get("threads")).isEqualTo((long) Runtime.getRuntime().availableProcessors());
        assertThat(run("info").out()).contains("cuda: not available: ");
    }

    @SuppressWarnings("unchecked")
    private static Map<String, Object> object(String json) {
        return (Map<String, Object>) Json.parse(json);
    }

    private Path tinyWeights() throws Exception {
        Path config = dir.resolve("tiny-config.json");
        Files.writeString(config, TINY);
        Path weights = dir.resolve("tiny.safetensors");
        try (CpuKernels k = CpuKernels.create(1); Gpt2 model = Gpt2.create(ModelChoice.fromFile(config), k, 7)) {
            model.save(weights);
        }
        return weights;
    }
}
