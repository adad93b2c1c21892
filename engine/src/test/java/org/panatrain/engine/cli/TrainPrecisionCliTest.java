// `train --precision` through Main.run: the --json keys say the precision, the skipped steps and
// the loss scale, which under fp16 must be GradScaler's 2^16 halved once per skipped step (no
// growth within a few steps); fp8 reports its FP8 tensors; an unknown precision is a usage error.
package org.panatrain.engine.cli;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.panatrain.engine.io.Json;

class TrainPrecisionCliTest {
    private static final String TINY = "{\"n_layer\": 1, \"n_head\": 2, \"n_embd\": 16, \"n_positions\": 16, \"vocab_size\": 256}";
    private static final int STEPS = 4;

    @TempDir
    Path dir;

    private MainTest.Outcome train(String precision) throws Exception {
        Path config = dir.resolve("tiny.json");
        Files.writeString(config, TINY);
        MainTest.Outcome o = MainTest.run("train", "--config", config.toString(), "--steps", Integer.toString(STEPS),
                "--batch", "2", "--seq", "8", "--data", "synthetic", "--device", "cpu", "--threads", "2", "--precision", precision,
                "--json");
        assertThat(o.status()).as(o.err()).isZero();
        return o;
    }

    @SuppressWarnings("unchecked")
    private static Map<String, Object> json(MainTest.Outcome o) {
        return (Map<String, Object>) Json.parse(o.lastOutLine());
    }

    @Test
    void fp16ReportsSkippedStepsAndTheLossScale() throws Exception {
        MainTest.Outcome o = train("fp16");
        Map<String, Object> result = json(o);
        assertThat(result.get("precision")).isEqualTo("fp16");
        assertThat(result.get("device")).isEqualTo("cpu");
        long skipped = (Long) result.get("skipped_steps");
        assertThat(skipped).isBetween(0L, (long) STEPS);
        assertThat(((Number) result.get("loss_scale")).doubleValue()).isEqualTo(65536.0 / (1L << skipped));
        assertThat(o.err()).contains("precision fp16 (emulated")
                .contains("precision fp16: " + (STEPS - skipped) + " steps applied, " + skipped + " skipped");
    }

    @Test
    void bf16Fp8AndTf32TrainWithoutLossScaling() throws Exception {
        for (String precision : new String[] {"bf16", "fp8", "tf32"}) {
            MainTest.Outcome o = train(precision);
            Map<String, Object> result = json(o);
            assertThat(result.get("precision")).isEqualTo(precision);
            assertThat(result.get("skipped_steps")).isEqualTo(0L);
            assertThat(((Number) result.get("loss_scale")).doubleValue()).isEqualTo(1.0);
            assertThat(((Number) result.get("loss")).doubleValue()).isBetween(0.0, 10.0);
            assertThat(o.err()).contains("precision " + precision + ": " + STEPS + " steps");
            if (precision.equals("fp8")) {
                assertThat(o.err()).containsPattern("fp8: 4 steps, [1-9][0-9]* FP8 tensors under delayed scaling");
            }
        }
    }

    @Test
    void unknownPrecisionIsAUsageError() {
        MainTest.Outcome o = MainTest.run("train", "--precision", "int8");
        assertThat(o.status()).isEqualTo(2);
        assertThat(o.errLines()).containsExactly(
                "panatrain train: --precision: expected one of fp32, tf32, bf16, fp16, fp8, got 'int8'");
    }
}
