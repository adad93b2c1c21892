// `panatrain train`: builds or loads a model, trains it with the Trainer on the chosen data and
// device, prints progress on stderr, and ends with a summary (on the built-in corpus: sample
// completions and the test exact-match accuracy); --json puts the results on stdout as one line.
// Leaves out checkpoints and resuming (a later issue): --save writes the final weights only.
package org.panatrain.engine.cli;

import java.io.PrintStream;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.panatrain.engine.data.ArithmeticCorpus;
import org.panatrain.engine.data.ExactMatch;
import org.panatrain.engine.io.Json;
import org.panatrain.engine.model.Gpt2;
import org.panatrain.engine.model.Gpt2Config;
import org.panatrain.engine.precision.Precision;
import org.panatrain.engine.precision.PrecisionPolicy;
import org.panatrain.engine.precision.TrainingPrecision;
import org.panatrain.engine.train.ArithmeticTask;
import org.panatrain.engine.train.MetricsWriter;
import org.panatrain.engine.train.StepReport;
import org.panatrain.engine.train.TrainConfig;
import org.panatrain.engine.train.TrainResult;
import org.panatrain.engine.train.Trainer;
import org.panatrain.kernels.Kernels;
import org.panatrain.kernels.cpu.CpuKernels;

/** The train command. */
final class TrainCommand implements Command {
    private static final TrainConfig D = ArithmeticTask.DEFAULT_TRAINING;
    private static final int SAMPLES_SHOWN = 8;

    static final OptionSpec INIT = OptionSpec.of("init", OptionSpec.Kind.TEXT, "WEIGHTS",
            "start from these safetensors weights (their config replaces --model/--config)");
    static final OptionSpec SAVE = OptionSpec.of("save", OptionSpec.Kind.TEXT, "WEIGHTS", "write the trained weights (safetensors)");
    static final OptionSpec BATCH = intOption("batch", "B", "micro-batch size, sequences", D.microBatch());
    static final OptionSpec SEQ = intOption("seq", "T", "sequence length, tokens (<= n_positions)", D.seq());
    static final OptionSpec GRAD_ACCUM = intOption("grad-accum", "N", "micro-batches per optimizer step", D.gradAccum());
    static final OptionSpec STEPS = intOption("steps", "N", "optimizer steps", D.steps());
    static final OptionSpec LR = number("lr", "peak learning rate", D.lr());
    static final OptionSpec MIN_LR = OptionSpec.of("min-lr", OptionSpec.Kind.NON_NEGATIVE_NUMBER, "X",
            "final learning rate of the cosine decay (default lr/10)");
    static final OptionSpec WARMUP = OptionSpec.of("warmup", OptionSpec.Kind.NON_NEGATIVE_INT, "N",
            "linear warmup steps (default steps/20)");
    static final OptionSpec WEIGHT_DECAY = number("weight-decay", "AdamW weight decay on 2+-D tensors", D.weightDecay());
    static final OptionSpec CLIP = number("clip", "clip gradients to this global norm; 0 = off", D.clip());
    static final OptionSpec SEED = OptionSpec.of("seed", OptionSpec.Kind.INTEGER, "N",
            "seed of the initialization and the data order (default " + D.seed() + ")");
    static final OptionSpec EVAL_EVERY = OptionSpec.of("eval-every", OptionSpec.Kind.NON_NEGATIVE_INT, "N",
            "validation loss every N steps and after the last; 0 = only after the last (default " + D.evalEvery() + ")");
    static final OptionSpec EVAL_BATCHES = intOption("eval-batches", "N", "batches per validation loss", D.evalBatches());
    static final OptionSpec LOG_EVERY = OptionSpec.of("log-every", OptionSpec.Kind.POSITIVE_INT, "N",
            "progress line every N steps (default steps/20)");
    static final OptionSpec METRICS = OptionSpec.of("metrics", OptionSpec.Kind.TEXT, "FILE",
            "write one JSON object per step (JSON Lines)");
    static final OptionSpec PRECISION = OptionSpec.choice("precision",
            Arrays.stream(Precision.values()).map(Precision::cliName).toList(),
            "number formats (default fp32); on the CPU tf32/bf16/fp16/fp8 are emulated by rounding, fp16 with loss scaling");
    static final OptionSpec JSON = OptionSpec.flag("json", "print the results as one JSON object on stdout");

    @Override
    public String name() {
        return "train";
    }

    @Override
    public String summary() {
        return "train a GPT; with no options, a small one on the built-in addition task (about a minute on 2 cores)";
    }

    @Override
    public List<OptionSpec> options() {
        return List.of(ModelChoice.MODEL, ModelChoice.CONFIG, INIT, DataChoice.DATA, DataChoice.VAL_DATA,
                Backends.DEVICE, Backends.THREADS, BATCH, SEQ, GRAD_ACCUM, STEPS, LR, MIN_LR, WARMUP, WEIGHT_DECAY,
                CLIP, SEED, EVAL_EVERY, EVAL_BATCHES, LOG_EVERY, SAVE, METRICS, PRECISION, JSON);
    }

    @Override
    public void run(ParsedOptions o, PrintStream out, PrintStream err) {
        if (o.has(INIT.name()) && (o.has(ModelChoice.MODEL.name()) || o.has(ModelChoice.CONFIG.name()))) {
            throw new UsageException("--init takes the model's config from the weights; drop --model/--config");
        }
        Gpt2Config modelConfig = o.has(INIT.name()) ? null : ModelChoice.resolve(o);
        TrainConfig config = trainConfig(o);
        PrecisionPolicy policy = PrecisionPolicy.of(Precision.parse(o.text(PRECISION.name(), "fp32")));
        try (Kernels kernels = TrainingPrecision.backend(Backends.open(o, err), policy);
             Gpt2 model = o.has(INIT.name())
                     ? Gpt2.load(InputFiles.existing(o.path(INIT.name()).orElseThrow()), kernels)
                     : Gpt2.create(modelConfig, kernels, config.seed())) {
            Gpt2Config cfg = model.config();
            if (config.seq() > cfg.nPositions()) {
                throw new UsageException("--seq " + config.seq() + " is longer than the model's n_positions " + cfg.nPositions());
            }
            try (DataChoice data = DataChoice.open(o, cfg.vocabSize(), config.tokensPerStep() * config.steps(), config.seed());
                 MetricsWriter metrics = o.path(METRICS.name()).map(MetricsWriter::new).orElse(null)) {
                DataChoice.requireBatch(data.train(), config.microBatch(), config.seq());
                if (data.validation() != null) {
                    DataChoice.requireBatch(data.validation(), config.microBatch(), config.seq());
                }
                printStart(err, model, kernels, policy, config, data, o.has(INIT.name()) ? o.text(INIT.name()).orElseThrow() : null);
                int logEvery = o.intValue(LOG_EVERY.name(), Math.max(1, config.steps() / 20));
                TrainResult result = Trainer.train(model, config, policy, data.train(), data.validation(), report -> {
                    progress(err, report, logEvery, config.tokensPerStep());
                    if (metrics != null) {
                        metrics.onStep(report);
                    }
                });
                err.printf("done: %d steps in %s, loss %.4f%s, %.0f tokens/s%n", result.steps(), clock(result.seconds()),
                        result.loss(), Double.isNaN(result.valLoss()) ? "" : String.format(", val_loss %.4f", result.valLoss()),
                        result.tokensPerSecond());
                err.println("precision " + result.precision().summary());
                ExactMatch.Result accuracy = data.corpus() == null ? null : reportAccuracy(err, model, data.corpus());
                if (o.has(SAVE.name())) {
                    Path save = o.path(SAVE.name()).orElseThrow();
                    model.save(save);
                    err.println("saved the weights to " + save);
                }
                if (o.flag(JSON.name())) {
                    out.println(Json.write(json(result, TrainingPrecision.device(kernels), accuracy)));
                }
            }
        }
    }

    private static TrainConfig trainConfig(ParsedOptions o) {
        int steps = o.intValue(STEPS.name(), D.steps());
        float lr = o.floatValue(LR.name(), D.lr());
        try {
            return new TrainConfig(o.intValue(BATCH.name(), D.microBatch()), o.intValue(SEQ.name(), D.seq()),
                    o.intValue(GRAD_ACCUM.name(), D.gradAccum()), steps, lr, o.floatValue(MIN_LR.name(), lr / 10),
                    o.intValue(WARMUP.name(), steps / 20), o.floatValue(WEIGHT_DECAY.name(), D.weightDecay()),
                    o.floatValue(CLIP.name(), D.clip()), o.intValue(EVAL_EVERY.name(), D.evalEvery()),
                    o.intValue(EVAL_BATCHES.name(), D.evalBatches()), o.longValue(SEED.name(), D.seed()));
        } catch (IllegalArgumentException e) {
            throw new UsageException(e.getMessage());
        }
    }

    private static void printStart(PrintStream err, Gpt2 model, Kernels kernels, PrecisionPolicy policy, TrainConfig c,
                                   DataChoice data, String init) {
        Gpt2Config m = model.config();
        err.printf("model: L=%d NH=%d C=%d maxT=%d V=%d, %,d parameters (%s)%n", m.nLayer(), m.nHead(), m.nEmbd(),
                m.nPositions(), m.vocabSize(), model.parameterCount(),
                init == null ? "new, seed " + c.seed() : "from " + init);
        err.println("device: " + deviceName(TrainingPrecision.device(kernels)) + ", precision " + policy.precision().cliName()
                + (policy.precision() == Precision.FP32 ? "" : " (emulated: FP32 arithmetic on values rounded as the format stores them)"));
        err.printf("batch: micro-batch %d x %d tokens x grad-accum %d = global batch %d sequences, %,d tokens per step; %d steps%n",
                c.microBatch(), c.seq(), c.gradAccum(), c.microBatch() * c.gradAccum(), c.tokensPerStep(), c.steps());
        err.printf("optimizer: AdamW lr %.2e -> %.2e (cosine, %d warmup steps), weight decay %s, clip %s%n",
                c.lr(), c.minLr(), c.warmup(), c.weightDecay(), c.clip() > 0 ? c.clip() : "off");
        err.println(data.description());
    }

    private static void progress(PrintStream err, StepReport r, int logEvery, long tokensPerStep) {
        boolean log = r.step() == 1 || r.step() % logEvery == 0 || r.step() == r.steps();
        if (log) {
            err.printf("step %5d/%d | loss %.4f | lr %.2e | %,.0f tok/s | ETA %s%n", r.step(), r.steps(), r.loss(), r.lr(),
                    r.step() * tokensPerStep / r.elapsedSeconds(), r.step() == 1 ? "?" : clock(r.etaSeconds()));
        }
        if (!Double.isNaN(r.valLoss())) {
            err.printf("step %5d/%d | val_loss %.4f%n", r.step(), r.steps(), r.valLoss());
        }
    }

    private static ExactMatch.Result reportAccuracy(PrintStream err, Gpt2 model, ArithmeticCorpus corpus) {
        ExactMatch.Result r = ArithmeticTask.accuracy(model, corpus, corpus.test());
        err.println("sample completions of held-out test problems (answer digits reversed):");
        for (ExactMatch.Completion c : r.completions().subList(0, Math.min(SAMPLES_SHOWN, r.total()))) {
            long got = ArithmeticCorpus.readReversed(c.got());
            err.printf("  %s%-5s (%d + %d = %s)  %s%n", c.prompt(), c.got(), c.problem().a(), c.problem().b(),
                    got < 0 ? "?" : Long.toString(got), c.correct() ? "correct" : "WRONG, expected " + c.expected());
        }
        err.printf("test accuracy: %d/%d = %.1f%% exact match (greedy decoding, problems never seen in training)%n",
                r.correct(), r.total(), 100 * r.accuracy());
        return r;
    }

    private static Map<String, Object> json(TrainResult r, Kernels kernels, ExactMatch.Result accuracy) {
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("steps", r.steps());
        m.put("loss", MetricsWriter.finiteOrNull(r.loss()));
        m.put("val_loss", MetricsWriter.finiteOrNull(r.valLoss()));
        m.put("tokens_per_second", Math.round(r.tokensPerSecond()));
        m.put("mfu", null); // only defined against a GPU's peak rate
        m.put("peak_bytes", r.peakBytes());
        m.put("device", kernels.name());
        if (kernels instanceof CpuKernels cpu) {
            m.put("threads", cpu.threads());
        }
        m.put("precision", r.precision().precision().cliName());
        m.put("skipped_steps", r.precision().lossScaler().skippedSteps());
        m.put("loss_scale", r.precision().lossScaler().scale());
        m.put("seconds", r.seconds());
        if (accuracy != null) {
            m.put("test_accuracy", accuracy.accuracy());
        }
        return m;
    }

    static String deviceName(Kernels kernels) {
        return kernels instanceof CpuKernels cpu ? "cpu (" + cpu.threads() + " threads)" : kernels.name();
    }

    /** m:ss */
    static String clock(double seconds) {
        long s = Math.round(seconds);
        return s / 60 + ":" + String.format("%02d", s % 60);
    }

    private static OptionSpec intOption(String name, String valueName, String help, int fallback) {
        return OptionSpec.of(name, OptionSpec.Kind.POSITIVE_INT, valueName, help + " (default " + fallback + ")");
    }

    private static OptionSpec number(String name, String help, float fallback) {
        return OptionSpec.of(name, OptionSpec.Kind.NON_NEGATIVE_NUMBER, "X", help + " (default " + fallback + ")");
    }
}
