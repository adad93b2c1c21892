// Adafactor (Shazeer & Stern 2018, "Adafactor: Adaptive Learning Rates with Sublinear Memory
// Cost") as Hugging Face transformers' `Adafactor` computes it with relative_step=False,
// scale_parameter=False, warmup_init=False and beta1=None: no first moment, the given learning
// rate, and the second moment of a matrix kept factored as a row and a column EMA, so its state
// is (rows + cols) floats instead of rows x cols. Per step t (from 1), for a gradient g:
//   beta2t = 1 - t^decayRate (decayRate -0.8);  u2 = g^2 + eps1 (eps1 1e-30)
//   matrix (rows, cols):  R = beta2t R + (1 - beta2t) mean_cols(u2);  C = beta2t C + (1 - beta2t) mean_rows(u2)
//                         u = g / sqrt(R_i / mean(R)) / sqrt(C_j)
//   vector:               v = beta2t v + (1 - beta2t) u2;  u = g / sqrt(v)
//   u = u / max(1, RMS(u) / clipThreshold) (clipThreshold 1.0; RMS = sqrt(mean(u^2)))
//   w = w - lr wd w - lr u     (wd only on 2+-D tensors, nanoGPT's groups; HF applies the same decoupled form)
// A tensor of rank > 2 would be read as (rows(), last dimension); GPT-2 has none. Runs in plain
// Java on host tensors (the CPU backend); leaves out the relative step size and the first moment.
package org.panatrain.engine.optim;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.SequencedMap;
import org.panatrain.engine.model.Gpt2;
import org.panatrain.engine.model.Parameter;
import org.panatrain.memory.DType;
import org.panatrain.memory.Tensor;

/**
 * The Adafactor optimizer with factored second moments.
 *
 * <pre>{@code
 * try (Adafactor opt = new Adafactor(model, Adafactor.Config.defaults())) {
 *     opt.step(1e-3f);
 * }
 * }</pre>
 */
public final class Adafactor extends OptimizerBase {
    /** State names of HF's Adafactor, followed by "." and the parameter name. */
    public static final String ROW = "exp_avg_sq_row";
    public static final String COLUMN = "exp_avg_sq_col";
    public static final String UNFACTORED = "exp_avg_sq";

    /**
     * Adafactor's hyper-parameters.
     *
     * @param decayRate     exponent of the second-moment decay: beta2 at step t is 1 - t^decayRate
     * @param eps1          added to the squared gradient
     * @param clipThreshold the largest RMS of an update before it is scaled down
     * @param weightDecay   decoupled weight decay on 2+-D tensors
     */
    public record Config(float decayRate, float eps1, float clipThreshold, float weightDecay) {
        public Config {
            if (!(decayRate < 0) || !(eps1 > 0) || !(clipThreshold > 0) || !(weightDecay >= 0)) {
                throw new IllegalArgumentException("Adafactor needs decay rate < 0, eps1 > 0, clip threshold > 0 and"
                        + " weight decay >= 0, got " + this);
            }
        }

        /** HF's defaults: decay rate -0.8, eps1 1e-30, clip threshold 1.0, no weight decay. */
        public static Config defaults() {
            return new Config(-0.8f, 1e-30f, 1.0f, 0f);
        }

        /** The same config with another weight decay. */
        public Config withWeightDecay(float wd) {
            return new Config(decayRate, eps1, clipThreshold, wd);
        }
    }

    /** The state of one parameter: row and column EMAs of a matrix (vector = null), or v of a vector. */
    private record State(Tensor row, Tensor column, Tensor vector) {
        boolean factored() {
            return vector == null;
        }
    }

    private final Config config;
    private final List<State> states; // per parameter
    private final double[] columnSums;   // (largest cols): the column means are summed in double
    private final float[] columnFactors; // (largest cols): 1 / sqrt(C_j) of the matrix being updated

    public Adafactor(Gpt2 model, Config config) {
        super(model);
        requireHost(model, "adafactor");
        this.config = config;
        List<State> s = new ArrayList<>();
        for (Parameter p : model.parameters()) {
            Tensor w = p.value();
            s.add(w.rank() >= 2
                    ? new State(state.allocate(DType.FP32, w.rows()), state.allocate(DType.FP32, w.dim(w.rank() - 1)), null)
                    : new State(null, null, state.allocate(DType.FP32, p.spec().shape())));
        }
        this.states = List.copyOf(s);
        int largestCols = s.stream().filter(State::factored)
                .mapToInt(st -> Math.toIntExact(st.column().numel())).max().orElse(0);
        this.columnSums = new double[largestCols];
        this.columnFactors = new float[largestCols];
    }

    @Override
    public String name() {
        return "adafactor";
    }

    @Override
    public String description() {
        return "Adafactor (factored second moments, no first moment) decay rate " + config.decayRate() + ", eps1 "
                + config.eps1() + ", clip threshold " + config.clipThreshold() + ", weight decay " + config.weightDecay();
    }

    @Override
    public void step(float lr) {
        stepCount++;
        float beta2t = (float) (1 - Math.pow(stepCount, config.decayRate()));
        List<Parameter> parameters = model.parameters();
        for (int i = 0; i < parameters.size(); i++) {
            Parameter p = parameters.get(i);
            State s = states.get(i);
            if (s.factored()) {
                updateSecondMoment(p.grad(), s.row(), s.column(), beta2t);
            } else {
                updateSecondMoment(p.grad(), s.vector(), beta2t);
            }
            double rms = Math.sqrt(sumOfSquaredUpdates(p.grad(), s) / p.grad().numel());
            float scale = (float) (lr / Math.max(1.0, rms / config.clipThreshold()));
            float decay = 1f - lr * (p.spec().decays() ? config.weightDecay() : 0f);
            apply(p.value(), p.grad(), s, scale, decay);
        }
    }

    // R = beta2t R + (1 - beta2t) mean over columns of (g^2 + eps1); C likewise over rows
    private void updateSecondMoment(Tensor g, Tensor row, Tensor column, float beta2t) {
        int rows = Math.toIntExact(row.numel());
        int cols = Math.toIntExact(column.numel());
        float eps1 = config.eps1();
        Arrays.fill(columnSums, 0, cols, 0);
        for (int r = 0; r < rows; r++) {
            double rowSum = 0;
            long base = (long) r * cols;
            for (int j = 0; j < cols; j++) {
                float gj = g.getFloat(base + j);
                float u2 = gj * gj + eps1;
                rowSum += u2;
                columnSums[j] += u2;
            }
            row.setFloat(r, beta2t * row.getFloat(r) + (1f - beta2t) * (float) (rowSum / cols));
        }
        for (int j = 0; j < cols; j++) {
            float c = beta2t * column.getFloat(j) + (1f - beta2t) * (float) (columnSums[j] / rows);
            column.setFloat(j, c);
            columnFactors[j] = rsqrt(c);
        }
    }

    // v = beta2t v + (1 - beta2t) (g^2 + eps1)
    private void updateSecondMoment(Tensor g, Tensor v, float beta2t) {
        float eps1 = config.eps1();
        for (long j = 0, n = v.numel(); j < n; j++) {
            float gj = g.getFloat(j);
            v.setFloat(j, beta2t * v.getFloat(j) + (1f - beta2t) * (gj * gj + eps1));
        }
    }

    // sum of u^2 over the tensor, u being the unclipped update
    private double sumOfSquaredUpdates(Tensor g, State s) {
        double sum = 0;
        if (s.factored()) {
            int cols = Math.toIntExact(s.column().numel());
            float rowMean = rowMean(s.row());
            for (long r = 0, rows = s.row().numel(); r < rows; r++) {
                float rowFactor = rsqrt(s.row().getFloat(r) / rowMean);
                for (int j = 0; j < cols; j++) {
                    float u = g.getFloat(r * cols + j) * rowFactor * columnFactors[j];
                    sum += u * u;
                }
            }
        } else {
            for (long j = 0, n = g.numel(); j < n; j++) {
                float u = g.getFloat(j) * rsqrt(s.vector().getFloat(j));
                sum += u * u;
            }
        }
        return sum;
    }

    // w = w decay - scale u
    private void apply(Tensor w, Tensor g, State s, float scale, float decay) {
        if (s.factored()) {
            int cols = Math.toIntExact(s.column().numel());
            float rowMean = rowMean(s.row());
            for (long r = 0, rows = s.row().numel(); r < rows; r++) {
                float rowFactor = rsqrt(s.row().getFloat(r) / rowMean);
                for (int j = 0; j < cols; j++) {
                    long at = r * cols + j;
                    float u = g.getFloat(at) * rowFactor * columnFactors[j];
                    w.setFloat(at, w.getFloat(at) * decay - scale * u);
                }
            }
        } else {
            for (long j = 0, n = g.numel(); j < n; j++) {
                float u = g.getFloat(j) * rsqrt(s.vector().getFloat(j));
                w.setFloat(j, w.getFloat(j) * decay - scale * u);
            }
        }
    }

    private static float rowMean(Tensor row) {
        double sum = 0;
        for (long r = 0, n = row.numel(); r < n; r++) {
            sum += row.getFloat(r);
        }
        return (float) (sum / row.numel());
    }

    private static float rsqrt(float x) {
        return (float) (1 / Math.sqrt(x));
    }

    /** exp_avg_sq_row.NAME and exp_avg_sq_col.NAME of each matrix, exp_avg_sq.NAME of each vector. */
    @Override
    public SequencedMap<String, Tensor> stateTensors() {
        SequencedMap<String, Tensor> tensors = new LinkedHashMap<>();
        List<Parameter> parameters = model.parameters();
        for (int i = 0; i < parameters.size(); i++) {
            String name = parameters.get(i).name();
            State s = states.get(i);
            if (s.factored()) {
                tensors.put(ROW + "." + name, s.row());
                tensors.put(COLUMN + "." + name, s.column());
            } else {
                tensors.put(UNFACTORED + "." + name, s.vector());
            }
        }
        return tensors;
    }
}
