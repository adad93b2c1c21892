// A progress bar on stderr for long inputs: bytes done of the total, percent, rate and ETA. On a
// terminal it redraws one line (carriage return) at most every 0.2 s; otherwise (a log file, a
// pipe) it prints a full line at most every 10 s, so logs stay short. Java cannot ask whether
// stderr itself is a terminal: System.console() (stdin and stdout) stands in for it.
// Leaves out nested bars and colours.
package org.panatrain.engine.prepare;

import java.io.PrintStream;
import java.util.Locale;

/**
 * Progress of a byte-counted job.
 *
 * <pre>{@code
 * ProgressBar bar = ProgressBar.onStderr("prepare", totalBytes);
 * bar.update(bytesDone);   // call as often as convenient; it throttles itself
 * bar.finish();
 * }</pre>
 */
public final class ProgressBar {
    private static final int WIDTH = 30;

    private final PrintStream out;
    private final String label;
    private final long total;
    private final boolean terminal;
    private final long intervalNanos;
    private final long start = System.nanoTime();
    private long lastPrint = Long.MIN_VALUE;
    private long done;

    ProgressBar(PrintStream out, String label, long total, boolean terminal) {
        this.out = out;
        this.label = label;
        this.total = Math.max(1, total);
        this.terminal = terminal;
        this.intervalNanos = terminal ? 200_000_000L : 10_000_000_000L;
    }

    /** A bar on System.err for {@code total} bytes. */
    public static ProgressBar onStderr(String label, long total) {
        java.io.Console console = System.console();
        return new ProgressBar(System.err, label, total, console != null && console.isTerminal());
    }

    /** Records {@code bytesDone} and redraws when the interval has passed. */
    public void update(long bytesDone) {
        done = bytesDone;
        long now = System.nanoTime();
        if (lastPrint == Long.MIN_VALUE ? now - start >= intervalNanos : now - lastPrint >= intervalNanos) {
            lastPrint = now;
            print(now, false);
        }
    }

    /** The final state, on its own line (only when something was printed before, or on a terminal). */
    public void finish() {
        if (terminal || lastPrint != Long.MIN_VALUE) {
            print(System.nanoTime(), true);
        }
    }

    private void print(long now, boolean last) {
        String line = line(done, total, (now - start) * 1e-9);
        if (terminal) {
            out.print("\r" + line + (last ? "\n" : ""));
        } else {
            out.println(line);
        }
        out.flush();
    }

    /** "label [=====>    ]  42.0%  12.3/29.3 MB  4.1 MB/s  ETA 0:04". */
    String line(long bytesDone, long bytesTotal, double seconds) {
        double fraction = Math.min(1, (double) bytesDone / bytesTotal);
        int filled = (int) (fraction * WIDTH);
        double rate = seconds > 0 ? bytesDone / seconds : 0;
        long eta = rate > 0 ? Math.round((bytesTotal - bytesDone) / rate) : -1;
        return String.format(Locale.ROOT, "%s [%s%s] %5.1f%%  %.1f/%.1f MB  %.1f MB/s  ETA %s", label,
                "=".repeat(filled), " ".repeat(WIDTH - filled), 100 * fraction, bytesDone / 1e6, bytesTotal / 1e6,
                rate / 1e6, eta < 0 ? "?" : String.format(Locale.ROOT, "%d:%02d", eta / 60, eta % 60));
    }
}
