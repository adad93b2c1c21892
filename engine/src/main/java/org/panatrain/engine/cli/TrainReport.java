// `train --report`: where the HTML report goes and what its tables say (the run's configuration
// and results); the curves come from the step reports (engine.metrics.HtmlReport draws them).
// MFU is n/a: the CLI trains on the CPU only, which has no peak rate to measure against.
package org.panatrain.engine.cli;

import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.SequencedMap;
import org.panatrain.engine.data.ExactMatch;
import org.panatrain.engine.metrics.HtmlReport;
import org.panatrain.engine.metrics.MetricsHistory;
import org.panatrain.engine.model.Gpt2;
import org.panatrain.engine.model.Gpt2Config;
import org.panatrain.engine.optim.Optimizer;
import org.panatrain.engine.train.TrainConfig;
import org.panatrain.engine.train.TrainResult;
import org.panatrain.kernels.Kernels;

/** The report of a train command. */
final class TrainReport {
    private TrainReport() {
    }

    /** Writes the report of a finished run to {@code file}. */
    static void write(Path file, Gpt2 model, Kernels kernels, TrainConfig config, DataChoice data, Optimizer optimizer,
                      TrainResult result, ExactMatch.Result accuracy, MetricsHistory history) {
        HtmlReport.write(file, "panatrain train", configuration(model, kernels, config, data, optimizer),
                results(result, accuracy, history), history.steps(), Double.NaN);
    }

    /** --report, else --metrics with its extension replaced by .html, else none. */
    static Path path(ParsedOptions o) {
        if (o.has(TrainCommand.REPORT.name())) {
            return o.path(TrainCommand.REPORT.name()).orElseThrow();
        }
        return o.path(TrainCommand.METRICS.name()).map(m -> {
            String name = m.getFileName().toString();
            int dot = name.lastIndexOf('.');
            return m.resolveSibling((dot > 0 ? name.substring(0, dot) : name) + ".html");
        }).orElse(null);
    }

    private static SequencedMap<String, String> configuration(Gpt2 model, Kernels kernels, TrainConfig c,
                                                              DataChoice data, Optimizer optimizer) {
        Gpt2Config m = model.config();
        SequencedMap<String, String> rows = new LinkedHashMap<>();
        rows.put("model", String.format("L=%d NH=%d C=%d maxT=%d V=%d", m.nLayer(), m.nHead(), m.nEmbd(),
                m.nPositions(), m.vocabSize()));
        rows.put("parameters", String.format("%,d", model.parameterCount()));
        rows.put("device", TrainCommand.deviceName(kernels) + ", precision fp32");
        rows.put("data", data.description().replaceFirst("^data: ", ""));
        rows.put("optimizer", optimizer.description());
        rows.put("optimizer state", String.format("%.2f bytes per parameter", optimizer.stateBytesPerParameter()));
        rows.put("batch", String.format("micro-batch %d x %d tokens x grad-accum %d = %,d tokens per step", c.microBatch(),
                c.seq(), c.gradAccum(), c.tokensPerStep()));
        rows.put("steps", Integer.toString(c.steps()));
        rows.put("learning rate", String.format("%.2e -> %.2e, cosine, %d warmup steps", c.lr(), c.minLr(), c.warmup()));
        rows.put("weight decay", Float.toString(c.weightDecay()));
        rows.put("clip", c.clip() > 0 ? Float.toString(c.clip()) : "off");
        rows.put("dropout", TrainCommand.dropoutDescription(c));
        rows.put("evaluation", "every " + c.evalEvery() + " steps, " + c.evalBatches() + " batches");
        rows.put("seed", Long.toString(c.seed()));
        return rows;
    }

    private static SequencedMap<String, String> results(TrainResult r, ExactMatch.Result accuracy,
                                                        MetricsHistory history) {
        SequencedMap<String, String> rows = new LinkedHashMap<>();
        rows.put("steps", Integer.toString(r.steps()) + (r.interrupted() ? " (interrupted by Ctrl-C)" : ""));
        rows.put("final training loss", String.format("%.4f", r.loss()));
        rows.put("final validation loss", Double.isNaN(r.valLoss()) ? "n/a" : String.format("%.4f", r.valLoss()));
        rows.put("training time", TrainCommand.clock(r.seconds()));
        rows.put("throughput", String.format("%,.0f tokens/s", r.tokensPerSecond()));
        if (!history.steps().isEmpty()) {
            long flopsPerStep = history.steps().getLast().flopsPerStep();
            rows.put("model FLOPs per step", String.format("%.3e (from the graph, recompute excluded)", (double) flopsPerStep));
            rows.put("achieved", String.format("%.4f TFLOPS (model FLOPs over training time)",
                    flopsPerStep * (double) r.steps() / r.seconds() / 1e12));
        }
        rows.put("MFU", "n/a (CPU)");
        if (accuracy != null) {
            rows.put("test accuracy", String.format("%d/%d = %.1f%%", accuracy.correct(), accuracy.total(),
                    100 * accuracy.accuracy()));
        }
        return rows;
    }
}
