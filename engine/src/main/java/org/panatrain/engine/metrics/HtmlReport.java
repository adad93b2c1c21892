// The end-of-run report of `train --report`: one self-contained HTML file (inline SVG and an
// inline style sheet, no script, nothing fetched from the network) with the run's results, the
// curves of training and validation loss, learning rate, throughput (tokens/s), the time each
// step waited for data, MFU and HFU (with the recomputed activations' FLOPs), and the run's
// configuration. Written as well-formed XML (XHTML syntax) so that tools can parse it. MFU and
// HFU need the device's peak rate: without one (the CPU) their section says n/a.
package org.panatrain.engine.metrics;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.SequencedMap;
import java.util.function.ToDoubleFunction;
import org.panatrain.engine.train.StepReport;

/**
 * Writes a training report.
 *
 * <pre>{@code
 * HtmlReport.write(Path.of("run.html"), "panatrain train", configuration, results, history.steps(), Double.NaN);
 * }</pre>
 */
public final class HtmlReport {
    private static final String TRAIN_COLOR = "#1f77b4";
    private static final String VAL_COLOR = "#d62728";
    private static final String HFU_COLOR = "#2ca02c";
    private static final String STYLE = """
            body { font-family: sans-serif; margin: 2em; color: #222; }
            table { border-collapse: collapse; margin-bottom: 1em; }
            td, th { border: 1px solid #ccc; padding: 0.2em 0.6em; text-align: left; }
            h2 { margin-top: 1.5em; }
            """;

    private HtmlReport() {
    }

    /**
     * Writes the report of a run to {@code file}.
     *
     * @param title         the page title
     * @param configuration what the run was asked to do, in display order
     * @param results       what it achieved (final losses, time, ...), in display order
     * @param steps         every step report, in step order
     * @param peakTflops    the device's peak rate for the run's precision; NaN when unknown (MFU n/a)
     */
    public static void write(Path file, String title, SequencedMap<String, String> configuration,
                             SequencedMap<String, String> results, List<StepReport> steps, double peakTflops) {
        try {
            Files.writeString(file, html(title, configuration, results, steps, peakTflops));
        } catch (IOException e) {
            throw new UncheckedIOException("cannot write " + file + ": " + e.getMessage(), e);
        }
    }

    /** The report as a string. */
    public static String html(String title, SequencedMap<String, String> configuration,
                              SequencedMap<String, String> results, List<StepReport> steps, double peakTflops) {
        StringBuilder out = new StringBuilder();
        out.append("<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\"/>\n<title>")
                .append(SvgChart.escape(title)).append("</title>\n<style>\n").append(STYLE).append("</style>\n</head>\n<body>\n");
        out.append("<h1>").append(SvgChart.escape(title)).append("</h1>\n");
        out.append("<h2>Results</h2>\n").append(table(results));
        double[] step = series(steps, StepReport::step);
        out.append("<h2>Loss</h2>\n").append(SvgChart.draw("loss", "step", List.of(
                new SvgChart.Series("train", TRAIN_COLOR, step, series(steps, StepReport::loss)),
                new SvgChart.Series("validation", VAL_COLOR, step, series(steps, StepReport::valLoss)))));
        out.append("<h2>Learning rate</h2>\n").append(SvgChart.draw("learning rate", "step", List.of(
                new SvgChart.Series("lr", TRAIN_COLOR, step, series(steps, StepReport::lr)))));
        out.append("<h2>Throughput</h2>\n").append(SvgChart.draw("tokens/s", "step", List.of(
                new SvgChart.Series("tokens/s", TRAIN_COLOR, step, series(steps, StepReport::tokensPerSecond)))));
        out.append("<h2>Loader wait</h2>\n").append(SvgChart.draw("wait for data (ms)", "step", List.of(
                new SvgChart.Series("loader wait (ms)", TRAIN_COLOR, step, series(steps, r -> r.loaderWaitSeconds() * 1e3)))));
        out.append("<h2>FLOPs utilization (MFU: model FLOPs; HFU: with recompute)</h2>\n");
        if (Double.isFinite(peakTflops) && peakTflops > 0) {
            out.append(SvgChart.draw("MFU, HFU", "step", List.of(
                    new SvgChart.Series("MFU", TRAIN_COLOR, step, series(steps, r -> r.tflops() / peakTflops)),
                    new SvgChart.Series("HFU", HFU_COLOR, step, series(steps, r -> r.hardwareTflops() / peakTflops)))));
        } else {
            out.append("<p>MFU: n/a, HFU: n/a (no peak FLOP rate is known for this device, as on the CPU)</p>\n");
        }
        out.append("<h2>Configuration</h2>\n").append(table(configuration));
        out.append("</body>\n</html>\n");
        return out.toString();
    }

    private static double[] series(List<StepReport> steps, ToDoubleFunction<StepReport> value) {
        return steps.stream().mapToDouble(value).toArray();
    }

    private static String table(SequencedMap<String, String> rows) {
        List<String> lines = new ArrayList<>();
        lines.add("<table>");
        for (Map.Entry<String, String> e : rows.entrySet()) {
            lines.add("<tr><th>" + SvgChart.escape(e.getKey()) + "</th><td>" + SvgChart.escape(e.getValue()) + "</td></tr>");
        }
        lines.add("</table>");
        return String.join("\n", lines) + "\n";
    }
}
