// The HTML report on hand-made step reports: it is well-formed (every tag closed in order, every
// attribute quoted, only XML's entities: checked by a small parser written here), each polyline
// has one point per logged value, and the points are the metrics scaled here into the plot area
// that SvgChart documents; nothing refers to the network except the SVG namespace; the loader
// wait is a curve in milliseconds; MFU and HFU are n/a without a peak rate and curves with one,
// HFU counting the recompute FLOPs (a quarter of the model's here).
package org.panatrain.engine.metrics;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Deque;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.SequencedMap;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.panatrain.engine.train.StepReport;

class HtmlReportTest {
    private static final int STEPS = 50;
    private static final int EVAL_EVERY = 10;
    private static final Pattern POLYLINE = Pattern.compile("<polyline [^>]*data-series=\"([^\"]*)\" points=\"([^\"]*)\"/>");

    @TempDir
    Path dir;

    @Test
    void reportIsWellFormedAndItsCurvesAreTheMetricsScaled() throws Exception {
        List<StepReport> steps = steps();
        SequencedMap<String, String> config = new LinkedHashMap<>();
        config.put("model", "L=2 <tiny> & \"quoted\"");
        config.put("optimizer", "lion");
        SequencedMap<String, String> results = new LinkedHashMap<>();
        results.put("final training loss", "1.2345");
        Path file = dir.resolve("report.html");

        HtmlReport.write(file, "run 'a' & b", config, results, steps, Double.NaN);

        String html = Files.readString(file);
        checkWellFormed(html);
        assertThat(html.replace("http://www.w3.org/2000/svg", "")).doesNotContain("http");
        assertThat(html).doesNotContain("<script").doesNotContain("<link").doesNotContain("@import");
        assertThat(html).contains("<td>L=2 &lt;tiny&gt; &amp; &quot;quoted&quot;</td>", "<td>1.2345</td>",
                "MFU: n/a", "HFU: n/a");

        List<String[]> lines = polylines(html);
        assertThat(lines).extracting(l -> l[0]).containsExactly("train", "validation", "lr", "tokens/s",
                "loader wait (ms)");
        double[] x = new double[STEPS];
        double[] loss = new double[STEPS];
        double[] lr = new double[STEPS];
        double[] tps = new double[STEPS];
        double[] waitMs = new double[STEPS];
        List<double[]> val = new ArrayList<>(); // (step, val_loss)
        for (int i = 0; i < STEPS; i++) {
            StepReport r = steps.get(i);
            x[i] = r.step();
            loss[i] = r.loss();
            lr[i] = r.lr();
            tps[i] = r.tokensPerSecond();
            waitMs[i] = 1e3 * r.loaderWaitSeconds();
            if (!Double.isNaN(r.valLoss())) {
                val.add(new double[] {r.step(), r.valLoss()});
            }
        }
        // the loss chart's y range spans both the training and the validation losses
        double lossMin = Math.min(min(loss), val.stream().mapToDouble(v -> v[1]).min().orElseThrow());
        double lossMax = Math.max(max(loss), val.stream().mapToDouble(v -> v[1]).max().orElseThrow());
        checkPoints(lines.get(0)[1], x, loss, 1, STEPS, lossMin, lossMax);
        checkPoints(lines.get(1)[1], val.stream().mapToDouble(v -> v[0]).toArray(),
                val.stream().mapToDouble(v -> v[1]).toArray(), 1, STEPS, lossMin, lossMax);
        checkPoints(lines.get(2)[1], x, lr, 1, STEPS, min(lr), max(lr));
        checkPoints(lines.get(3)[1], x, tps, 1, STEPS, min(tps), max(tps));
        checkPoints(lines.get(4)[1], x, waitMs, 1, STEPS, min(waitMs), max(waitMs));
    }

    @Test
    void withAPeakRateMfuAndHfuAreCurvesOfTflopsOverThePeak() {
        List<StepReport> steps = steps();
        double peak = 2.0;
        String html = HtmlReport.html("t", new LinkedHashMap<>(), new LinkedHashMap<>(), steps, peak);
        checkWellFormed(html);
        assertThat(html).doesNotContain("n/a");
        List<String[]> lines = polylines(html);
        String[] mfu = lines.get(lines.size() - 2);
        String[] hfu = lines.getLast();
        assertThat(mfu[0]).isEqualTo("MFU");
        assertThat(hfu[0]).isEqualTo("HFU");
        double[] x = new double[STEPS];
        double[] y = new double[STEPS];
        double[] h = new double[STEPS];
        for (int i = 0; i < STEPS; i++) {
            x[i] = i + 1;
            y[i] = steps.get(i).tflops() / peak;
            h[i] = 1.25 * y[i]; // 250,000 recompute FLOPs on 1,000,000 model FLOPs
        }
        // one chart: both curves share the y range
        checkPoints(mfu[1], x, y, 1, STEPS, min(y), max(h));
        checkPoints(hfu[1], x, h, 1, STEPS, min(y), max(h));
    }

    // loss falls from ~5.5, lr warms up then decays, throughput rises as the JIT warms up, the
    // loader wait grows slowly with a spike every 7th step
    private static List<StepReport> steps() {
        List<StepReport> steps = new ArrayList<>();
        for (int s = 1; s <= STEPS; s++) {
            float loss = (float) (1 + 4.5 * Math.exp(-s / 12.0) + 0.05 * Math.sin(s));
            float lr = s <= 5 ? 1e-3f * s / 5 : (float) (1e-3 * (0.55 + 0.45 * Math.cos(Math.PI * (s - 5) / 45)));
            double tps = 30_000 + 10_000 * (1 - Math.exp(-s / 5.0));
            double val = s % EVAL_EVERY == 0 ? loss + 0.1 : Double.NaN;
            double wait = s % 7 == 0 ? 2e-3 : 1e-5 * s;
            steps.add(new StepReport(s, STEPS, loss, lr, 1f, tps, s * 0.01, (STEPS - s) * 0.01, val, 1_000_000L,
                    tps * 1e-7, 250_000L, wait, 1L << 30));
        }
        return steps;
    }

    private static List<String[]> polylines(String html) {
        List<String[]> lines = new ArrayList<>();
        Matcher m = POLYLINE.matcher(html);
        while (m.find()) {
            lines.add(new String[] {m.group(1), m.group(2)});
        }
        return lines;
    }

    // one point per value, each the value mapped into the plot area, to the 2 decimals written
    private static void checkPoints(String points, double[] x, double[] y, double xMin, double xMax, double yMin,
                                    double yMax) {
        String[] pairs = points.split(" ");
        assertThat(pairs).hasSize(x.length);
        for (int i = 0; i < pairs.length; i++) {
            String[] xy = pairs[i].split(",");
            double px = SvgChart.PLOT_LEFT + SvgChart.PLOT_WIDTH * (x[i] - xMin) / (xMax - xMin);
            double py = SvgChart.PLOT_TOP + SvgChart.PLOT_HEIGHT * (yMax - y[i]) / (yMax - yMin);
            assertThat(Double.parseDouble(xy[0])).as("x of point %d", i).isCloseTo(px, within(0.0051));
            assertThat(Double.parseDouble(xy[1])).as("y of point %d", i).isCloseTo(py, within(0.0051));
        }
    }

    private static double min(double[] v) {
        return java.util.Arrays.stream(v).min().orElseThrow();
    }

    private static double max(double[] v) {
        return java.util.Arrays.stream(v).max().orElseThrow();
    }

    /**
     * A small XML well-formedness check: after the DOCTYPE, tags nest and close in order, every
     * attribute value is quoted, text holds no raw '<' and only the five XML entities or numeric ones.
     */
    private static void checkWellFormed(String html) {
        assertThat(html).startsWith("<!DOCTYPE html>\n");
        Pattern tag = Pattern.compile("<(/?)([a-zA-Z][a-zA-Z0-9]*)((?:\\s+[a-zA-Z][a-zA-Z0-9:-]*=\"[^\"<]*\")*)\\s*(/?)>");
        Pattern entity = Pattern.compile("&(amp|lt|gt|quot|apos|#[0-9]+);");
        Deque<String> open = new ArrayDeque<>();
        String body = html.substring("<!DOCTYPE html>\n".length());
        int at = 0;
        Matcher m = tag.matcher(body);
        while (at < body.length()) {
            int next = body.indexOf('<', at);
            String text = body.substring(at, next < 0 ? body.length() : next);
            assertThat(entity.matcher(text).replaceAll("")).as("text at %d", at).doesNotContain("&").doesNotContain(">");
            if (next < 0) {
                break;
            }
            assertThat(m.find(next) && m.start() == next).as("a well-formed tag at %d: %s", next,
                    body.substring(next, Math.min(body.length(), next + 60))).isTrue();
            assertThat(entity.matcher(m.group(3)).replaceAll("")).doesNotContain("&");
            String name = m.group(2);
            if (!m.group(1).isEmpty()) {
                assertThat(open.pop()).as("closing tag at %d", next).isEqualTo(name);
            } else if (m.group(4).isEmpty()) {
                open.push(name);
            }
            if (name.equals("style") && m.group(1).isEmpty()) { // CSS text: no markup inside, up to its closing tag
                int end = body.indexOf("</style>", m.end());
                assertThat(body.substring(m.end(), end)).doesNotContain("<").doesNotContain("&");
                at = end;
            } else {
                at = m.end();
            }
            assertThat(open.isEmpty() && at < body.length() && !body.substring(at).isBlank()).as("content after </html>").isFalse();
        }
        assertThat(open).isEmpty();
    }
}
