// `train --optimizer` and `--report` through the CLI: the chosen optimizer runs and its state
// size (alone and with the weights and gradients) is printed and in --json, the progress line
// has the loader wait; the report is written where asked, or next to --metrics by
// default; an unknown optimizer is a usage error.
package org.panatrain.engine.cli;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.panatrain.engine.io.Json;

class TrainOptimizerReportTest {
    private static final String TINY = "{\"n_layer\": 1, \"n_head\": 2, \"n_embd\": 16, \"n_positions\": 16, \"vocab_size\": 256}";

    @TempDir
    Path dir;

    @Test
    @SuppressWarnings("unchecked")
    void lionRunWritesItsReportAndReportsFourBytesPerParameter() throws Exception {
        Path config = dir.resolve("tiny.json");
        Files.writeString(config, TINY);
        Path report = dir.resolve("run.html");
        MainTest.Outcome o = MainTest.run("train", "--config", config.toString(), "--steps", "3", "--batch", "2",
                "--seq", "8", "--device", "cpu", "--threads", "1", "--optimizer", "lion", "--report", report.toString(),
                "--json");
        assertThat(o.status()).as(o.err()).isZero();
        Map<String, Object> result = (Map<String, Object>) Json.parse(o.lastOutLine());
        assertThat(result).containsEntry("optimizer", "lion").containsEntry("optimizer_bytes_per_parameter", 4.0)
                .containsEntry("report", report.toString());
        assertThat(o.err()).contains("optimizer: Lion betas 0.9/0.99",
                "state 4.00 bytes per parameter (12.00 with the weights and gradients)", "wrote the report to " + report);
        assertThat(o.errLines()).anyMatch(l -> l.matches("step +1/3 \\| .* \\| wait \\d+\\.\\d ms \\| ETA .*"));
        String html = Files.readString(report);
        assertThat(html).contains("<svg", "Lion betas 0.9/0.99", "MFU: n/a");
        assertThat(html.split("<polyline", -1)).hasSize(1 + 5); // loss, validation loss, lr, tokens/s, loader wait
    }

    @Test
    @SuppressWarnings("unchecked")
    void reportDefaultsToTheMetricsNameEndingInHtml() throws Exception {
        Path config = dir.resolve("tiny.json");
        Files.writeString(config, TINY);
        Path metrics = dir.resolve("run.metrics.jsonl");
        MainTest.Outcome o = MainTest.run("train", "--config", config.toString(), "--steps", "2", "--batch", "2",
                "--seq", "8", "--device", "cpu", "--threads", "1", "--optimizer", "adamw8bit", "--metrics",
                metrics.toString(), "--json");
        assertThat(o.status()).as(o.err()).isZero();
        Map<String, Object> result = (Map<String, Object>) Json.parse(o.lastOutLine());
        assertThat(((Number) result.get("optimizer_bytes_per_parameter")).doubleValue()).isBetween(2.0, 2.1);
        assertThat(dir.resolve("run.metrics.html")).exists();
        assertThat(result).containsEntry("report", dir.resolve("run.metrics.html").toString());
    }

    @Test
    void unknownOptimizerIsAUsageError() {
        MainTest.Outcome o = MainTest.run("train", "--optimizer", "sgd");
        assertThat(o.status()).isEqualTo(2);
        assertThat(o.errLines()).containsExactly(
                "panatrain train: --optimizer: expected one of adamw, lion, adafactor, adamw8bit, got 'sgd'");
    }
}
