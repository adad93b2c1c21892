// Lion (Chen et al. 2023, "Symbolic Discovery of Optimization Algorithms", Algorithm 2): the
// update is the sign of an interpolation of momentum and gradient, so every element moves by
// exactly lr (plus decoupled weight decay), and the state is one momentum: 4 bytes a parameter.
// Per element, with weight decay only on 2+-D tensors (nanoGPT's groups):
//   c = beta1 m + (1 - beta1) g;  w = w - lr (sign(c) + wd w);  m = beta2 m + (1 - beta2) g
// sign(0) = 0 as torch.sign. The paper advises a learning rate 3-10x smaller than AdamW's and a
// weight decay 3-10x larger (so lr * wd stays); this class takes whatever it is given.
// Runs on the model's backend (Kernels.lion): one kernel call per parameter.
package org.panatrain.engine.optim;

import java.util.LinkedHashMap;
import java.util.List;
import java.util.SequencedMap;
import org.panatrain.engine.model.Gpt2;
import org.panatrain.engine.model.Parameter;
import org.panatrain.kernels.Kernels;
import org.panatrain.memory.DType;
import org.panatrain.memory.Tensor;

/**
 * The Lion optimizer.
 *
 * <pre>{@code
 * try (Lion opt = new Lion(model, Lion.Config.defaults().withWeightDecay(1f))) {
 *     opt.step(3e-4f);
 * }
 * }</pre>
 */
public final class Lion extends OptimizerBase {
    /** State name of the momentum (as lion-pytorch's state dict), followed by "." and the parameter name. */
    public static final String MOMENTUM = "exp_avg";

    /** Lion's betas and decoupled weight decay. */
    public record Config(float beta1, float beta2, float weightDecay) {
        public Config {
            if (!(beta1 >= 0 && beta1 < 1) || !(beta2 >= 0 && beta2 < 1) || !(weightDecay >= 0)) {
                throw new IllegalArgumentException("Lion needs 0 <= betas < 1 and weight decay >= 0, got " + this);
            }
        }

        /** The paper's defaults: betas 0.9 and 0.99, no weight decay. */
        public static Config defaults() {
            return new Config(0.9f, 0.99f, 0f);
        }

        /** The same config with another weight decay. */
        public Config withWeightDecay(float wd) {
            return new Config(beta1, beta2, wd);
        }
    }

    private final Config config;
    private final Kernels kernels;
    private final List<Tensor> momenta; // per parameter, its shape

    public Lion(Gpt2 model, Config config) {
        super(model);
        this.config = config;
        this.kernels = model.kernels();
        this.momenta = parameterShapedState(DType.FP32);
    }

    @Override
    public String name() {
        return "lion";
    }

    @Override
    public String description() {
        return "Lion betas " + config.beta1() + "/" + config.beta2() + ", weight decay " + config.weightDecay();
    }

    @Override
    public void step(float lr) {
        stepCount++;
        List<Parameter> parameters = model.parameters();
        for (int i = 0; i < parameters.size(); i++) {
            Parameter p = parameters.get(i);
            kernels.lion(p.value(), p.grad(), momenta.get(i), lr, config.beta1(), config.beta2(),
                    p.spec().decays() ? config.weightDecay() : 0f);
        }
    }

    /** The momentum of every parameter: exp_avg.NAME. */
    @Override
    public SequencedMap<String, Tensor> stateTensors() {
        SequencedMap<String, Tensor> tensors = new LinkedHashMap<>();
        List<Parameter> parameters = model.parameters();
        for (int i = 0; i < parameters.size(); i++) {
            tensors.put(MOMENTUM + "." + parameters.get(i).name(), momenta.get(i));
        }
        return tensors;
    }
}
