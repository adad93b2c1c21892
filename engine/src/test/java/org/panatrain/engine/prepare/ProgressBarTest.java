// The progress line's numbers, and the throttling: a non-terminal gets nothing for a fast job.
package org.panatrain.engine.prepare;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import org.junit.jupiter.api.Test;

class ProgressBarTest {
    @Test
    void lineShowsFractionSizesRateAndEta() {
        ProgressBar bar = new ProgressBar(System.err, "prepare", 100_000_000, false);
        // 25 MB of 100 MB in 5 s: 5 MB/s, 75 MB left = 15 s.
        assertThat(bar.line(25_000_000, 100_000_000, 5.0))
                .isEqualTo("prepare [=======                       ]  25.0%  25.0/100.0 MB  5.0 MB/s  ETA 0:15");
    }

    @Test
    void fastJobPrintsNothingWhenNotATerminal() {
        ByteArrayOutputStream bytes = new ByteArrayOutputStream();
        ProgressBar bar = new ProgressBar(new PrintStream(bytes, true, StandardCharsets.UTF_8), "prepare", 1000, false);
        for (int i = 0; i <= 1000; i++) {
            bar.update(i);
        }
        bar.finish();
        assertThat(bytes.toString(StandardCharsets.UTF_8)).isEmpty();
    }

    @Test
    void terminalGetsTheFinalLine() {
        ByteArrayOutputStream bytes = new ByteArrayOutputStream();
        ProgressBar bar = new ProgressBar(new PrintStream(bytes, true, StandardCharsets.UTF_8), "prepare", 1000, true);
        bar.update(1000);
        bar.finish();
        assertThat(bytes.toString(StandardCharsets.UTF_8)).startsWith("\rprepare [====").contains("100.0%").endsWith("\n");
    }
}
