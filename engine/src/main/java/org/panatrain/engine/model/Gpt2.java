// A GPT-2 model on a backend: the FP32 master weights and their gradients, each ONE allocation
// sliced into per-parameter views by the parameter table: 8 bytes a parameter. Training steps
// (Gpt2Step) hold the activations; the optimizer (engine.optim) holds its own state (AdamW's
// moments, Lion's momentum, ...), so a run allocates only what its optimizer needs.
// Leaves out: mixed precision copies of the weights, dropout.
package org.panatrain.engine.model;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.SequencedMap;
import org.panatrain.engine.graph.BackendArena;
import org.panatrain.engine.graph.RecomputePolicy;
import org.panatrain.engine.graph.Scheduler;
import org.panatrain.engine.io.BadInputException;
import org.panatrain.engine.io.Safetensors;
import org.panatrain.engine.io.SafetensorsFile;
import org.panatrain.kernels.Kernels;
import org.panatrain.memory.DType;
import org.panatrain.memory.Tensor;

/**
 * GPT-2 with Hugging Face parameter names and layouts; the output head is tied to {@code wte}.
 *
 * <pre>{@code
 * try (Kernels k = CpuKernels.create();
 *      Gpt2 model = Gpt2.create(Gpt2Config.named("gpt2-tiny"), k, 1337);
 *      Gpt2Step step = model.newStep(4, 64);
 *      AdamW opt = new AdamW(model, AdamWConfig.defaults())) {
 *     opt.zeroGrad();
 *     float loss = step.forwardBackward(inputs, targets, 1f);
 *     opt.clipGradNorm(1f);
 *     opt.step(6e-4f);
 * }
 * }</pre>
 */
public final class Gpt2 implements AutoCloseable {
    /** The name prefix of Hugging Face's GPT2LMHeadModel files, accepted on load. */
    public static final String PREFIX = "transformer.";
    private static final String[] CONFIG_KEYS = {"n_layer", "n_head", "n_embd", "n_positions", "vocab_size"};

    /** Standard deviation of the weight init (nanoGPT). */
    static final double INIT_STD = 0.02;

    private final Gpt2Config config;
    private final Kernels kernels;
    private final BackendArena arena;
    private final Tensor values;   // (P) all parameters
    private final Tensor grads;    // (P)
    private final List<Parameter> parameters;

    private Gpt2(Gpt2Config config, Kernels kernels) {
        this.config = config;
        this.kernels = kernels;
        List<ParameterSpec> table = ParameterSpec.table(config);
        int count = Math.toIntExact(config.parameterCount());
        this.arena = BackendArena.forBackend(kernels);
        this.values = arena.allocate(DType.FP32, count);
        this.grads = arena.allocate(DType.FP32, count);
        kernels.fill(values, 0f);
        kernels.fill(grads, 0f);
        List<Parameter> ps = new ArrayList<>(table.size());
        for (ParameterSpec s : table) {
            ps.add(new Parameter(s, values.slice(s.offset(), s.shape()), grads.slice(s.offset(), s.shape())));
        }
        this.parameters = List.copyOf(ps);
    }

    /**
     * A model with nanoGPT's init from {@code seed}: weights and embeddings N(0, 0.02), the
     * residual projections (attn.c_proj, mlp.c_proj) N(0, 0.02/sqrt(2L)), biases 0, layernorm
     * weights 1 and biases 0.
     */
    public static Gpt2 create(Gpt2Config config, Kernels kernels, long seed) {
        Gpt2 model = new Gpt2(config, kernels);
        Random random = new Random(seed);
        double projStd = INIT_STD / Math.sqrt(2.0 * config.nLayer());
        long largest = model.parameters.stream().mapToLong(p -> p.value().byteSize()).max().orElse(0);
        try (Arena arena = Arena.ofShared()) { // shared: the CPU backend copies on its worker threads
            MemorySegment staging = arena.allocate(largest, 64);
            for (Parameter p : model.parameters) {
                String n = p.name();
                if (n.endsWith(".bias")) {
                    continue; // already zero
                }
                if (n.contains("ln_")) {
                    kernels.fill(p.value(), 1f);
                    continue;
                }
                double std = n.endsWith("c_proj.weight") ? projStd : INIT_STD;
                Tensor host = Tensor.host(staging.asSlice(0, p.value().byteSize()), DType.FP32, p.spec().shape());
                for (long i = 0; i < host.numel(); i++) {
                    host.setFloat(i, (float) (random.nextGaussian() * std));
                }
                kernels.upload(p.value(), host);
            }
        }
        return model;
    }

    /**
     * Loads weights saved by {@link #save} or by Hugging Face (FP32, optionally under a
     * {@code transformer.} prefix; other tensors such as attention-mask buffers are ignored). The
     * config comes from the {@code __metadata__} map. Every tensor is checked against the config
     * before the model is allocated, so a bad file never yields a half-read model.
     *
     * @throws BadInputException naming the file and what is wrong
     */
    public static Gpt2 load(Path file, Kernels kernels) {
        try (SafetensorsFile f = SafetensorsFile.open(file)) {
            Gpt2Config config = configOf(f);
            String prefix = !f.contains("wte.weight") && f.contains(PREFIX + "wte.weight") ? PREFIX : "";
            List<Tensor> sources = new ArrayList<>();
            for (ParameterSpec p : ParameterSpec.table(config)) {
                sources.add(f.require(prefix + p.name(), DType.FP32, p.shape()));
            }
            Gpt2 model = new Gpt2(config, kernels);
            try {
                for (int i = 0; i < sources.size(); i++) {
                    kernels.upload(model.parameters.get(i).value(), sources.get(i));
                }
            } catch (RuntimeException e) {
                model.close();
                throw e;
            }
            return model;
        }
    }

    private static Gpt2Config configOf(SafetensorsFile f) {
        int[] v = new int[CONFIG_KEYS.length];
        for (int i = 0; i < v.length; i++) {
            String text = f.metadata().get(CONFIG_KEYS[i]);
            if (text == null) {
                throw new BadInputException(f.file(), "__metadata__ has no " + CONFIG_KEYS[i] + " (the model config)");
            }
            try {
                v[i] = Integer.parseInt(text.strip());
            } catch (NumberFormatException e) {
                throw new BadInputException(f.file(), "__metadata__ " + CONFIG_KEYS[i] + " is \"" + text
                        + "\", not an integer");
            }
        }
        try {
            return new Gpt2Config(v[0], v[1], v[2], v[3], v[4]);
        } catch (IllegalArgumentException e) {
            throw new BadInputException(f.file(), "bad model config: " + e.getMessage());
        }
    }

    /**
     * Writes the weights with Hugging Face names and layouts (the tied output head is not
     * repeated) and the config in {@code __metadata__}; atomically (temporary file + rename).
     */
    public void save(Path file) {
        try (Arena arena = Arena.ofShared()) { // shared: the CPU backend copies on its worker threads
            Tensor host = Tensor.host(arena.allocate(values.byteSize(), 64), DType.FP32, values.shape());   // (P)
            kernels.download(host, values);
            SequencedMap<String, Tensor> tensors = new LinkedHashMap<>();
            for (Parameter p : parameters) {
                tensors.put(p.name(), host.slice(p.spec().offset(), p.spec().shape()));
            }
            Map<String, String> metadata = new LinkedHashMap<>(config.toMetadata());
            metadata.put("format", "pt"); // what Hugging Face's loaders expect of a PyTorch-layout file
            Safetensors.write(file, metadata, tensors);
        }
    }

    /** The configuration. */
    public Gpt2Config config() {
        return config;
    }

    /** The number of parameters (wte counted once). */
    public long parameterCount() {
        return values.numel();
    }

    /** The backend every tensor of the model lives on. */
    public Kernels kernels() {
        return kernels;
    }

    /** The parameters in table order, each with its value and gradient views. */
    public List<Parameter> parameters() {
        return parameters;
    }

    /** The parameter called {@code name} (Hugging Face name, no prefix). */
    public Parameter parameter(String name) {
        for (Parameter p : parameters) {
            if (p.name().equals(name)) {
                return p;
            }
        }
        throw new IllegalArgumentException("GPT-2 has no parameter \"" + name + "\"");
    }

    /** Bytes this model holds on its backend (weights and gradients), as its arena counts them. */
    public long allocatedBytes() {
        return arena.allocatedBytes();
    }

    /** All gradients as one flat tensor (P): what clipping and zeroing work on. */
    public Tensor gradientBlock() {
        return grads;
    }

    /** Activations and the compiled graph of a training step on micro-batches of B x T tokens. */
    public Gpt2Step newStep(int B, int T) {
        return newStep(B, T, Scheduler.uniform(RecomputePolicy.NONE, config.nLayer()));
    }

    /** A training step whose layer l recomputes its activations by {@code policies.get(l)}. */
    public Gpt2Step newStep(int B, int T, List<RecomputePolicy> policies) {
        return newStep(B, T, policies, 0f);
    }

    /** {@link #newStep(int, int, List)} whose training micro-steps apply dropout with probability {@code dropout}. */
    public Gpt2Step newStep(int B, int T, List<RecomputePolicy> policies, float dropout) {
        return new Gpt2Step(this, B, T, policies, dropout);
    }

    @Override
    public void close() {
        arena.close();
    }
}
