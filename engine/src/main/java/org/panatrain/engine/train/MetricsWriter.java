// `--metrics FILE`: one JSON object per optimizer step (JSON Lines) with step, loss, lr,
// tokens_per_second, grad_norm, elapsed_s, flops_per_step (model FLOPs from the graph), tflops,
// mfu (tflops over the device's peak; null when the peak is unknown, as on the CPU),
// recompute_flops_per_step, hfu (model + recompute FLOPs over time over the peak; null as mfu),
// loader_wait_s (this step's wait for data), peak_bytes (weights, gradients, optimizer state and
// activations on the device), and val_loss on the steps that measured one.
// Each line is flushed so that a file can be followed while training runs. A resumed run appends
// (steps after its checkpoint that the interrupted run had logged then appear twice).
package org.panatrain.engine.train;

import java.io.BufferedWriter;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.LinkedHashMap;
import java.util.Map;
import org.panatrain.engine.io.Json;

/**
 * A trainer listener writing a metrics file.
 *
 * <pre>{@code
 * try (MetricsWriter metrics = new MetricsWriter(Path.of("metrics.jsonl"))) {
 *     Trainer.train(model, config, train, val, metrics);
 * }
 * }</pre>
 */
public final class MetricsWriter implements Trainer.Listener, AutoCloseable {
    private final Path file;
    private final BufferedWriter writer;
    private final double peakTflops;

    /** A writer whose mfu is null: no peak rate is known (the CPU). */
    public MetricsWriter(Path file) {
        this(file, false, Double.NaN);
    }

    /**
     * A writer that appends to {@code file} when {@code append} (a resumed run), else replaces it,
     * computing mfu = tflops / {@code peakTflops} (NaN: unknown, mfu null).
     */
    public MetricsWriter(Path file, boolean append, double peakTflops) {
        this.file = file;
        this.peakTflops = peakTflops;
        try {
            this.writer = append
                    ? Files.newBufferedWriter(file, StandardOpenOption.CREATE, StandardOpenOption.APPEND)
                    : Files.newBufferedWriter(file);
        } catch (IOException e) {
            throw new UncheckedIOException("cannot write " + file + ": " + e.getMessage(), e);
        }
    }

    @Override
    public void onStep(StepReport r) {
        Map<String, Object> line = new LinkedHashMap<>();
        line.put("step", r.step());
        line.put("loss", r.loss());
        line.put("lr", r.lr());
        line.put("tokens_per_second", Math.round(r.tokensPerSecond()));
        line.put("grad_norm", finiteOrNull(r.gradNorm()));
        line.put("elapsed_s", r.elapsedSeconds());
        line.put("flops_per_step", r.flopsPerStep());
        line.put("tflops", finiteOrNull(r.tflops()));
        line.put("mfu", finiteOrNull(r.tflops() / peakTflops));
        line.put("recompute_flops_per_step", r.recomputeFlopsPerStep());
        line.put("hfu", finiteOrNull(r.hardwareTflops() / peakTflops));
        line.put("loader_wait_s", r.loaderWaitSeconds());
        line.put("peak_bytes", r.peakBytes());
        if (!Double.isNaN(r.valLoss())) {
            line.put("val_loss", r.valLoss());
        }
        try {
            writer.write(Json.write(line));
            writer.newLine();
            writer.flush();
        } catch (IOException e) {
            throw new UncheckedIOException("cannot write " + file + ": " + e.getMessage(), e);
        }
    }

    /** JSON has no NaN or infinity: such a value is written as null. */
    public static Object finiteOrNull(double v) {
        return Double.isFinite(v) ? v : null;
    }

    /** {@link #finiteOrNull(double)} for a float, written with a float's shortest digits. */
    public static Object finiteOrNull(float v) {
        return Float.isFinite(v) ? v : null;
    }

    @Override
    public void close() {
        try {
            writer.close();
        } catch (IOException e) {
            throw new UncheckedIOException("cannot write " + file + ": " + e.getMessage(), e);
        }
    }
}
