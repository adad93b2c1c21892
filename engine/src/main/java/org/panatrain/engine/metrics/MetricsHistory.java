// Every step report of a run, kept in memory for the report drawn at the end. Holds one small
// record per step (about 100 bytes): a million steps take ~100 MB, so a run that long should
// draw its report from the metrics file instead (not written yet).
package org.panatrain.engine.metrics;

import java.util.ArrayList;
import java.util.List;
import org.panatrain.engine.train.StepReport;
import org.panatrain.engine.train.Trainer;

/**
 * A trainer listener that remembers every step.
 *
 * <pre>{@code
 * MetricsHistory history = new MetricsHistory();
 * Trainer.train(optimizer, config, train, val, history);
 * HtmlReport.write(Path.of("report.html"), "my run", configuration, results, history.steps(), Double.NaN);
 * }</pre>
 */
public final class MetricsHistory implements Trainer.Listener {
    private final List<StepReport> steps = new ArrayList<>();

    @Override
    public void onStep(StepReport report) {
        steps.add(report);
    }

    /** The reports so far, in step order. */
    public List<StepReport> steps() {
        return List.copyOf(steps);
    }
}
