// `panatrain eval`: the mean next-token loss of --weights on --data (a token shard, or the
// built-in corpus's test split, where it also reports exact-match accuracy), over --batches
// consecutive B x T batches from the start.
package org.panatrain.engine.cli;

import java.io.PrintStream;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.panatrain.engine.data.ExactMatch;
import org.panatrain.engine.io.Json;
import org.panatrain.engine.model.Gpt2;
import org.panatrain.engine.model.Gpt2Step;
import org.panatrain.engine.train.ArithmeticTask;
import org.panatrain.engine.train.LossEvaluator;
import org.panatrain.kernels.Kernels;

/** The eval command. */
final class EvalCommand implements Command {
    static final OptionSpec WEIGHTS = OptionSpec.of("weights", OptionSpec.Kind.TEXT, "FILE", "safetensors weights (required)");
    static final OptionSpec DATA = OptionSpec.of("data", OptionSpec.Kind.TEXT, "FILE|DIR|builtin",
            "llm.c token shard, the test split of a folder made by `prepare`, or the built-in corpus's test split (default)");
    static final OptionSpec BATCH = OptionSpec.of("batch", OptionSpec.Kind.POSITIVE_INT, "B", "sequences per batch (default 8)");
    static final OptionSpec SEQ = OptionSpec.of("seq", OptionSpec.Kind.POSITIVE_INT, "T",
            "tokens per sequence (default min(64, n_positions))");
    static final OptionSpec BATCHES = OptionSpec.of("batches", OptionSpec.Kind.POSITIVE_INT, "N",
            "batches to evaluate (default: all that fit in the data)");

    @Override
    public String name() {
        return "eval";
    }

    @Override
    public String summary() {
        return "mean next-token loss of --weights on --data";
    }

    @Override
    public List<OptionSpec> options() {
        return List.of(WEIGHTS, DATA, BATCH, SEQ, BATCHES, Backends.DEVICE, Backends.THREADS, TrainCommand.JSON);
    }

    @Override
    public void run(ParsedOptions o, PrintStream out, PrintStream err) {
        var weights = InputFiles.existing(java.nio.file.Path.of(o.required(WEIGHTS.name())));
        try (Kernels kernels = Backends.open(o, err);
             Gpt2 model = Gpt2.load(weights, kernels);
             DataChoice data = DataChoice.forEval(o, model.config().vocabSize())) {
            int B = o.intValue(BATCH.name(), 8);
            int T = o.intValue(SEQ.name(), Math.min(64, model.config().nPositions()));
            if (T > model.config().nPositions()) {
                throw new UsageException("--seq " + T + " is longer than the model's n_positions " + model.config().nPositions());
            }
            DataChoice.requireBatch(data.train(), B, T);
            LossEvaluator.Result r;
            try (Gpt2Step step = model.newStep(B, T)) {
                r = LossEvaluator.meanLoss(step, B, T, data.train(), o.intValue(BATCHES.name(), Integer.MAX_VALUE));
            }
            Map<String, Object> json = new LinkedHashMap<>();
            json.put("loss", r.loss());
            json.put("tokens", r.tokens());
            String line = String.format("loss %.4f over %,d tokens (%s)", r.loss(), r.tokens(), data.description());
            if (data.corpus() != null) {
                ExactMatch.Result acc = ArithmeticTask.accuracy(model, data.corpus(), data.corpus().test());
                json.put("test_accuracy", acc.accuracy());
                line += String.format("%ntest accuracy: %d/%d = %.1f%% exact match", acc.correct(), acc.total(),
                        100 * acc.accuracy());
            }
            if (o.flag(TrainCommand.JSON.name())) {
                err.println(line);
                out.println(Json.write(json));
            } else {
                out.println(line);
            }
        }
    }
}
