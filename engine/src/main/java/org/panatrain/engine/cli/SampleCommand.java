// `panatrain sample`: continues a prompt with a trained model and prints prompt + continuation
// on stdout; the model comes from --weights or from a checkpoint (--checkpoint DIR [--step N]).
// Byte-level tokens only (GPT-2's BPE tokenizer is not part of this version).
package org.panatrain.engine.cli;

import java.io.PrintStream;
import java.nio.file.Path;
import java.util.List;
import java.util.Random;
import org.panatrain.engine.io.ByteTokenizer;
import org.panatrain.engine.model.Gpt2;
import org.panatrain.engine.sample.Generator;
import org.panatrain.kernels.Kernels;

/** The sample command. */
final class SampleCommand implements Command {
    static final OptionSpec WEIGHTS = EvalCommand.WEIGHTS;
    static final OptionSpec PROMPT = OptionSpec.of("prompt", OptionSpec.Kind.TEXT, "TEXT", "text to continue (default \"12+34=\")");
    static final OptionSpec TOKENS = OptionSpec.of("tokens", OptionSpec.Kind.POSITIVE_INT, "N", "tokens to generate (default 40)");
    static final OptionSpec TEMPERATURE = OptionSpec.of("temperature", OptionSpec.Kind.NON_NEGATIVE_NUMBER, "X",
            "sampling temperature; 0 = greedy (default 1.0)");
    static final OptionSpec TOP_K = OptionSpec.of("top-k", OptionSpec.Kind.NON_NEGATIVE_INT, "K",
            "sample among the K most likely tokens; 0 = all (default 0)");
    static final OptionSpec SEED = OptionSpec.of("seed", OptionSpec.Kind.INTEGER, "N", "sampling seed (default 1337)");

    @Override
    public String name() {
        return "sample";
    }

    @Override
    public String summary() {
        return "continue a prompt with --weights or --checkpoint (byte-level tokens)";
    }

    @Override
    public List<OptionSpec> options() {
        return List.of(WEIGHTS, ExportCommand.CHECKPOINT, ExportCommand.STEP, PROMPT, TOKENS, TEMPERATURE, TOP_K, SEED, Backends.DEVICE, Backends.THREADS);
    }

    @Override
    public void run(ParsedOptions o, PrintStream out, PrintStream err) {
        if (o.has(WEIGHTS.name()) == o.has(ExportCommand.CHECKPOINT.name())) {
            throw new UsageException("give --weights FILE or --checkpoint DIR");
        }
        Path weights = o.has(WEIGHTS.name()) ? InputFiles.existing(Path.of(o.required(WEIGHTS.name())))
                : ExportCommand.find(o, err).modelFile();
        ByteTokenizer tokenizer = new ByteTokenizer();
        int[] prompt = tokenizer.encode(o.text(PROMPT.name(), "12+34="));
        if (prompt.length == 0) {
            throw new UsageException("--prompt must not be empty");
        }
        try (Kernels kernels = Backends.open(o, err);
             Gpt2 model = Gpt2.load(weights, kernels);
             Generator generator = new Generator(model, model.config().nPositions())) {
            if (model.config().vocabSize() < tokenizer.vocabSize()) {
                throw new UsageException("the model's vocabulary (" + model.config().vocabSize()
                        + ") is smaller than the byte tokenizer's 256");
            }
            int[] tokens = generator.generate(prompt, o.intValue(TOKENS.name(), 40),
                    o.floatValue(TEMPERATURE.name(), 1f), o.intValue(TOP_K.name(), 0),
                    new Random(o.longValue(SEED.name(), 1337)));
            for (int t : tokens) {
                if (t >= tokenizer.vocabSize()) {
                    throw new IllegalStateException("the model produced token " + t
                            + ", which is not a byte: this model was not trained on byte-level text");
                }
            }
            out.println(o.text(PROMPT.name(), "12+34=") + tokenizer.decode(tokens));
        }
    }
}
