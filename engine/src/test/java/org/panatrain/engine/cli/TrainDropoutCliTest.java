// `train --dropout` through the CLI: the run prints its dropout at the start, reports it in
// --json and in the HTML report's configuration; a probability outside [0, 1) is a usage error
// (exit 2, one line naming the option); it runs under emulated bf16; `help train` lists the option.
package org.panatrain.engine.cli;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.offset;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.panatrain.engine.io.Json;

class TrainDropoutCliTest {
    private static final String TINY = "{\"n_layer\": 1, \"n_head\": 2, \"n_embd\": 16, \"n_positions\": 16, \"vocab_size\": 256}";

    @TempDir
    Path dir;

    @Test
    @SuppressWarnings("unchecked")
    void aRunWithDropoutSaysSoAtTheStartInJsonAndInItsReport() throws Exception {
        Path config = dir.resolve("tiny.json");
        Files.writeString(config, TINY);
        Path report = dir.resolve("run.html");
        MainTest.Outcome o = MainTest.run("train", "--config", config.toString(), "--steps", "2", "--batch", "2",
                "--seq", "8", "--device", "cpu", "--threads", "1", "--dropout", "0.1", "--recompute", "full",
                "--report", report.toString(), "--json");
        assertThat(o.status()).as(o.err()).isZero();
        assertThat(o.err()).contains("dropout: 0.1 on the embedding, attention probabilities and residual branches");
        Map<String, Object> result = (Map<String, Object>) Json.parse(o.lastOutLine());
        assertThat(((Number) result.get("dropout")).doubleValue()).isCloseTo(0.1, offset(1e-7));
        assertThat(Files.readString(report)).contains("dropout", "0.1 on the embedding");
    }

    @Test
    @SuppressWarnings("unchecked")
    void dropoutRunsUnderEmulatedBf16() throws Exception {
        Path config = dir.resolve("tiny.json");
        Files.writeString(config, TINY);
        MainTest.Outcome o = MainTest.run("train", "--config", config.toString(), "--steps", "2", "--batch", "2",
                "--seq", "8", "--device", "cpu", "--threads", "1", "--dropout", "0.2", "--precision", "bf16", "--json");
        assertThat(o.status()).as(o.err()).isZero();
        Map<String, Object> result = (Map<String, Object>) Json.parse(o.lastOutLine());
        assertThat(((Number) result.get("loss")).doubleValue()).isFinite().isPositive();
    }

    @Test
    void aProbabilityOutsideZeroToOneIsAUsageError() {
        for (String p : new String[] {"1", "1.5"}) {
            MainTest.Outcome o = MainTest.run("train", "--dropout", p, "--steps", "1");
            assertThat(o.status()).isEqualTo(2);
            assertThat(o.errLines()).singleElement().asString().contains("--dropout must be in [0, 1)");
        }
        MainTest.Outcome negative = MainTest.run("train", "--dropout", "-0.1");
        assertThat(negative.status()).isEqualTo(2);
        assertThat(negative.errLines()).singleElement().asString().contains("--dropout");
    }

    @Test
    void helpTrainListsTheOption() {
        MainTest.Outcome o = MainTest.run("help", "train");
        assertThat(o.status()).isZero();
        assertThat(o.out() + o.err()).contains("--dropout P");
    }
}
