// AdamW over a Gpt2's FP32 master weights with PyTorch's semantics and nanoGPT's parameter
// groups (decay on 2+-D tensors only), on the model's backend (Kernels.adamW). The moments m and v
// are this class's state: two FP32 blocks of P elements on the backend (8 bytes a parameter),
// sliced per parameter as the model's weights are.
package org.panatrain.engine.optim;

import java.util.LinkedHashMap;
import java.util.List;
import java.util.SequencedMap;
import org.panatrain.engine.model.Gpt2;
import org.panatrain.engine.model.Parameter;
import org.panatrain.kernels.AdamWStep;
import org.panatrain.kernels.Kernels;
import org.panatrain.memory.DType;
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
    private final List<Tensor> m; // per parameter, its shape: first moment
    private final List<Tensor> v; // second moment
    private final AdamWStep decay = new AdamWStep(0f, 0f, 0f, 0f, 0f, 1);    // this step's scalars, set per step
    private final AdamWStep noDecay = new AdamWStep(0f, 0f, 0f, 0f, 0f, 1);  // the same without weight decay

    public AdamW(Gpt2 model, AdamWConfig config) {
        super(model);
        this.config = config;
        this.kernels = model.kernels();
        this.m = parameterShapedState(DType.FP32);
        this.v = parameterShapedState(DType.FP32);
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
            kernels.adamW(p.value(), p.grad(), m.get(i), v.get(i), p.spec().decays() ? decay : noDecay);
        }
    }

    /** m and v of every parameter: exp_avg.NAME, exp_avg_sq.NAME. */
    @Override
    public SequencedMap<String, Tensor> stateTensors() {
        SequencedMap<String, Tensor> tensors = new LinkedHashMap<>();
        List<Parameter> parameters = model.parameters();
        for (int i = 0; i < parameters.size(); i++) {
            tensors.put(FIRST_MOMENT + "." + parameters.get(i).name(), m.get(i));
            tensors.put(SECOND_MOMENT + "." + parameters.get(i).name(), v.get(i));
        }
        return tensors;
    }

    /** The hyper-parameters. */
    public AdamWConfig config() {
        return config;
    }
}
