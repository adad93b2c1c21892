// AdamW over a Gpt2's FP32 master weights with PyTorch's semantics and nanoGPT's parameter
// groups (decay on 2+-D tensors only), on the model's backend (Kernels.adamW). The moments live
// in the model (allocated once with it); this class keeps the step count.
package org.panatrain.engine.optim;

import java.util.LinkedHashMap;
import java.util.List;
import java.util.SequencedMap;
import org.panatrain.engine.model.Gpt2;
import org.panatrain.engine.model.Parameter;
import org.panatrain.kernels.AdamWStep;
import org.panatrain.kernels.Kernels;
import org.panatrain.memory.Tensor;

/**
 * The optimizer of a training loop.
 *
 * <pre>{@code
 * AdamW opt = new AdamW(model, AdamWConfig.defaults());
 * opt.zeroGrad();
 * step.forwardBackward(inputs, targets, 1f);
 * float norm = opt.clipGradNorm(1f);
 * opt.step(schedule.at(opt.stepCount()));
 * }</pre>
 */
public final class AdamW extends OptimizerBase {
    /** State names of torch.optim.AdamW's state dict, followed by "." and the parameter name. */
    public static final String FIRST_MOMENT = "exp_avg";
    public static final String SECOND_MOMENT = "exp_avg_sq";

    private final AdamWConfig config;
    private final Kernels kernels;
    private final AdamWStep decay = new AdamWStep(0f, 0f, 0f, 0f, 0f, 1);    // this step's scalars, set per step
    private final AdamWStep noDecay = new AdamWStep(0f, 0f, 0f, 0f, 0f, 1);  // the same without weight decay

    public AdamW(Gpt2 model, AdamWConfig config) {
        super(model);
        this.config = config;
        this.kernels = model.kernels();
    }

    @Override
    public String name() {
        return "adamw";
    }

    @Override
    public String description() {
        return "AdamW betas " + config.beta1() + "/" + config.beta2() + ", eps " + config.eps() + ", weight decay "
                + config.weightDecay();
    }

    /** One AdamW update of every parameter with learning rate {@code lr}. */
    @Override
    public void step(float lr) {
        stepCount++;
        decay.set(lr, config.beta1(), config.beta2(), config.eps(), config.weightDecay(), stepCount);
        noDecay.set(lr, config.beta1(), config.beta2(), config.eps(), 0f, stepCount);
        List<Parameter> parameters = model.parameters();
        for (int i = 0; i < parameters.size(); i++) {
            Parameter p = parameters.get(i);
            kernels.adamW(p.value(), p.grad(), p.m(), p.v(), p.spec().decays() ? decay : noDecay);
        }
    }

    /** m and v of every parameter (the model's own views): exp_avg.NAME, exp_avg_sq.NAME. */
    @Override
    public SequencedMap<String, Tensor> stateTensors() {
        SequencedMap<String, Tensor> state = new LinkedHashMap<>();
        for (Parameter p : model.parameters()) {
            state.put(FIRST_MOMENT + "." + p.name(), p.m());
            state.put(SECOND_MOMENT + "." + p.name(), p.v());
        }
        return state;
    }

    /** The hyper-parameters. */
    public AdamWConfig config() {
        return config;
    }
}
