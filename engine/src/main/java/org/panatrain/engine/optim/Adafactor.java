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
// A tensor of rank > 2 would be read as (rows(), last dimension); GPT-2 has none. Runs on the
// model's backend: two kernel calls per parameter (Kernels.adafactorMoments, then
// adafactorUpdate, whose RMS clip needs the whole tensor's moments first). Leaves out the
// relative step size and the first moment.
package org.panatrain.engine.optim;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.SequencedMap;
import org.panatrain.engine.model.Gpt2;
import org.panatrain.engine.model.Parameter;
import org.panatrain.kernels.Kernels;
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
    private final Kernels kernels;
    private final List<State> states; // per parameter

    public Adafactor(Gpt2 model, Config config) {
        super(model);
        this.config = config;
        this.kernels = model.kernels();
        List<State> s = new ArrayList<>();
        for (Parameter p : model.parameters()) {
            Tensor w = p.value();
            s.add(w.rank() >= 2
                    ? new State(state.allocate(DType.FP32, w.rows()), state.allocate(DType.FP32, w.dim(w.rank() - 1)), null)
                    : new State(null, null, state.allocate(DType.FP32, p.spec().shape())));
        }
        this.states = List.copyOf(s);
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
            Tensor moment = s.factored() ? s.row() : s.vector();
            kernels.adafactorMoments(p.grad(), moment, s.column(), beta2t, config.eps1());
            kernels.adafactorUpdate(p.value(), p.grad(), moment, s.column(), lr,
                    p.spec().decays() ? config.weightDecay() : 0f, config.clipThreshold());
        }
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
