// `panatrain train`: builds or loads a model, trains it with the Trainer on the chosen data and
// device, prints progress on stderr, and ends with a summary (on the built-in corpus: sample
// completions and the test exact-match accuracy); --json puts the results on stdout as one line.
// --checkpoint-dir saves crash-safe checkpoints (every N steps, keeping the last K) that --resume
// continues from; --epochs, --patience and --test-data shape the run (the Trainer does the work).
// Ctrl-C ends the run after the current step, with a checkpoint, as an interrupted run (exit 0).
package org.panatrain.engine.cli;

import java.io.PrintStream;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.panatrain.engine.checkpoint.CheckpointSchedule;
import org.panatrain.engine.checkpoint.CheckpointStore;
import org.panatrain.engine.data.ArithmeticCorpus;
import org.panatrain.engine.data.BatchSource;
import org.panatrain.engine.data.ExactMatch;
import org.panatrain.engine.data.ShardLoader;
import org.panatrain.engine.data.TokenSource;
import org.panatrain.engine.io.Json;
import org.panatrain.engine.metrics.MetricsHistory;
import org.panatrain.engine.model.Gpt2;
import org.panatrain.engine.model.Gpt2Config;
import org.panatrain.engine.model.Gpt2MemoryPlan;
import org.panatrain.engine.optim.Optimizer;
import org.panatrain.engine.optim.OptimizerKind;
import org.panatrain.engine.precision.Precision;
import org.panatrain.engine.precision.PrecisionPolicy;
import org.panatrain.engine.precision.TrainingPrecision;
import org.panatrain.engine.train.ArithmeticTask;
import org.panatrain.engine.train.BatchReader;
import org.panatrain.engine.train.MetricsWriter;
import org.panatrain.engine.train.RunControl;
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
            "seed of the initialization, the data order and the dropout masks (default " + D.seed() + ")");
    static final OptionSpec DROPOUT = OptionSpec.of("dropout", OptionSpec.Kind.NON_NEGATIVE_NUMBER, "P",
            "dropout probability in [0, 1) on the embedding, attention probabilities and residual branches, in training"
                    + " only (default 0: off)");
    static final OptionSpec EVAL_EVERY = OptionSpec.of("eval-every", OptionSpec.Kind.NON_NEGATIVE_INT, "N",
            "validation loss every N steps and after the last; 0 = only after the last (default " + D.evalEvery() + ")");
    static final OptionSpec EVAL_BATCHES = intOption("eval-batches", "N", "batches per validation loss", D.evalBatches());
    static final OptionSpec LOG_EVERY = OptionSpec.of("log-every", OptionSpec.Kind.POSITIVE_INT, "N",
            "progress line every N steps (default steps/20)");
    static final OptionSpec METRICS = OptionSpec.of("metrics", OptionSpec.Kind.TEXT, "FILE",
            "write one JSON object per step (JSON Lines)");
    static final OptionSpec OPTIMIZER = OptionSpec.choice("optimizer", OptimizerKind.cliNames(),
            "adamw, lion (wants a 3-10x lower --lr), adafactor (factored second moments) or adamw8bit (8-bit moments); default adamw");
    static final OptionSpec REPORT = OptionSpec.of("report", OptionSpec.Kind.TEXT, "FILE",
            "write a self-contained HTML report at the end (default: with --metrics, the same name ending in .html)");
    static final OptionSpec PRECISION = OptionSpec.choice("precision",
            Arrays.stream(Precision.values()).map(Precision::cliName).toList(),
            "number formats (default fp32); on the CPU tf32/bf16/fp16/fp8 are emulated by rounding, fp16 with loss scaling");
    static final OptionSpec JSON = OptionSpec.flag("json", "print the results as one JSON object on stdout");
    static final OptionSpec EPOCHS = OptionSpec.of("epochs", OptionSpec.Kind.POSITIVE_INT, "N",
            "instead of --steps: N passes over the training shard(s) (an epoch = batches per pass / grad-accum steps)");
    static final OptionSpec PATIENCE = OptionSpec.of("patience", OptionSpec.Kind.NON_NEGATIVE_INT, "N",
            "stop after N validation losses in a row without a new best; 0 = never (default 0)");
    static final OptionSpec CHECKPOINT_DIR = OptionSpec.of("checkpoint-dir", OptionSpec.Kind.TEXT, "DIR",
            "save crash-safe checkpoints (weights, optimizer, step, data position) under DIR/step-NNNNNNNN");
    static final OptionSpec CHECKPOINT_EVERY = OptionSpec.of("checkpoint-every", OptionSpec.Kind.NON_NEGATIVE_INT, "N",
            "checkpoint every N steps and after the last; 0 = only after the last (default steps/10)");
    static final OptionSpec KEEP_LAST = OptionSpec.of("keep-last", OptionSpec.Kind.POSITIVE_INT, "K",
            "checkpoints kept, newest first (default 3)");
    static final OptionSpec RESUME = OptionSpec.flag("resume",
            "continue from the newest complete checkpoint in --checkpoint-dir (none yet: start at step 0)");
    private static final int DEFAULT_KEEP_LAST = 3;

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
                DataChoice.TEST_DATA, Backends.DEVICE, Backends.THREADS, BATCH, SEQ, GRAD_ACCUM, STEPS, EPOCHS, LR,
                MIN_LR, WARMUP, WEIGHT_DECAY, CLIP, DROPOUT, SEED, OPTIMIZER, PRECISION, EVAL_EVERY, EVAL_BATCHES, PATIENCE, LOG_EVERY,
                RecomputeChoice.RECOMPUTE, RecomputeChoice.MEMORY_BUDGET, SAVE, METRICS, REPORT,
                CHECKPOINT_DIR, CHECKPOINT_EVERY, KEEP_LAST, RESUME, JSON);
    }

    @Override
    public void run(ParsedOptions o, PrintStream out, PrintStream err) {
        if (o.has(INIT.name()) && (o.has(ModelChoice.MODEL.name()) || o.has(ModelChoice.CONFIG.name()))) {
            throw new UsageException("--init takes the model's config from the weights; drop --model/--config");
        }
        requireConsistentRunOptions(o);
        Gpt2Config modelConfig = o.has(INIT.name()) ? null : ModelChoice.resolve(o);
        TrainConfig requested = trainConfig(o, o.intValue(STEPS.name(), D.steps()));
        RecomputeChoice.Request recompute = RecomputeChoice.of(o);
        OptimizerKind optimizerKind = OptimizerKind.parse(o.text(OPTIMIZER.name(), OptimizerKind.ADAMW.cliName()));
        PrecisionPolicy policy = PrecisionPolicy.of(Precision.parse(o.text(PRECISION.name(), "fp32")));
        try (Kernels kernels = TrainingPrecision.backend(Backends.open(o, err), policy);
             Gpt2 model = o.has(INIT.name())
                     ? Gpt2.load(InputFiles.existing(o.path(INIT.name()).orElseThrow()), kernels)
                     : Gpt2.create(modelConfig, kernels, requested.seed())) {
            Gpt2Config cfg = model.config();
            if (requested.seq() > cfg.nPositions()) {
                throw new UsageException("--seq " + requested.seq() + " is longer than the model's n_positions " + cfg.nPositions());
            }
            Gpt2MemoryPlan plan = recompute.plan(cfg, policy, optimizerKind, requested.microBatch(), requested.seq());
            if (!plan.fits()) {
                throw new UsageException("--memory-budget: " + plan.advice());
            }
            try (DataChoice data = DataChoice.open(o, cfg.vocabSize(), requested.tokensPerStep() * requested.steps(),
                    requested.seed());
                 MetricsWriter metrics = o.path(METRICS.name()).map(f -> new MetricsWriter(f, o.flag(RESUME.name()), Double.NaN))
                         .orElse(null);
                 Optimizer optimizer = optimizerKind.create(model, requested.weightDecay());
                 BatchSource batches = batches(data, requested, TrainingPrecision.device(kernels))) {
                TrainConfig config = o.has(EPOCHS.name()) ? withEpochs(o, data.train(), requested) : requested;
                for (TokenSource eval : new TokenSource[] {data.validation(), data.test()}) {
                    if (eval != null) {
                        DataChoice.requireBatch(eval, config.microBatch(), config.seq());
                    }
                }
                if (o.intValue(PATIENCE.name(), 0) > 0 && data.validation() == null) {
                    throw new UsageException("--patience needs validation data (--val-data, or a prepared folder's val split)");
                }
                CheckpointSchedule checkpoints = o.path(CHECKPOINT_DIR.name()).map(dir -> new CheckpointSchedule(
                        new CheckpointStore(dir, err::println),
                        o.intValue(CHECKPOINT_EVERY.name(), Math.max(1, config.steps() / 10)),
                        o.intValue(KEEP_LAST.name(), DEFAULT_KEEP_LAST), o.flag(RESUME.name()),
                        Trainer.checkpointSettings(model, config, data.train(), optimizer.name()), config.seed(),
                        err::println))
                        .orElse(null);
                printStart(err, model, kernels, policy, config, data, o.has(INIT.name()) ? o.text(INIT.name()).orElseThrow() : null,
                        optimizer);
                if (plan.schedule().recomputeFlops() > 0) {
                    err.printf("recompute: %s, %.1f%% more FLOPs than the model's%n", PlanCommand.perLayer(plan.policies()),
                            100 * plan.recomputeFlopsFraction());
                }
                int logEvery = o.intValue(LOG_EVERY.name(), Math.max(1, config.steps() / 20));
                MetricsHistory history = new MetricsHistory();
                TrainResult result;
                try (InterruptSignal interrupt = InterruptSignal.install(err)) {
                    RunControl control = new RunControl(o.intValue(PATIENCE.name(), 0), data.test(), checkpoints,
                            plan.policies(), policy, interrupt::requested);
                    result = Trainer.train(optimizer, config, batches, data.validation(), control, report -> {
                        progress(err, report, logEvery, config.tokensPerStep());
                        history.onStep(report);
                        if (metrics != null) {
                            metrics.onStep(report);
                        }
                    });
                }
                if (result.interrupted()) {
                    err.printf("interrupted at step %d of %d: %s%n", result.steps(), config.steps(), checkpoints == null
                            ? "nothing was saved (no --checkpoint-dir)"
                            : "checkpoint written; --resume continues from it");
                }
                if (result.stoppedEarly()) {
                    err.printf("stopped early at step %d: %d validation losses in a row without a new best%n",
                            result.steps(), o.intValue(PATIENCE.name(), 0));
                }
                String test = Double.isNaN(result.testLoss()) ? "" : String.format(", test_loss %.4f", result.testLoss());
                double loaderWait = batches.waitNanos() * 1e-9;
                if (Double.isNaN(result.tokensPerSecond())) { // resumed from a checkpoint of a finished run
                    err.printf("done: nothing left to train at step %d%s%n", result.steps(), test);
                } else {
                    err.printf("done: %d steps in %s, loss %.4f%s%s, %.0f tokens/s, waited %.3f s for data%n", result.steps(),
                            clock(result.seconds()), result.loss(),
                            Double.isNaN(result.valLoss()) ? "" : String.format(", val_loss %.4f", result.valLoss()),
                            test, result.tokensPerSecond(), loaderWait);
                }
                err.println("precision " + result.precision().summary());
                ExactMatch.Result accuracy = data.corpus() == null ? null : reportAccuracy(err, model, data.corpus());
                if (o.has(SAVE.name())) {
                    Path save = o.path(SAVE.name()).orElseThrow();
                    model.save(save);
                    err.println("saved the weights to " + save);
                }
                Path report = TrainReport.path(o);
                if (report != null) {
                    TrainReport.write(report, model, kernels, config, data, optimizer, result, accuracy, history);
                    err.println("wrote the report to " + report);
                }
                if (o.flag(JSON.name())) {
                    Map<String, Object> json = json(result, TrainingPrecision.device(kernels), accuracy, plan, config.gradAccum());
                    json.put("loader_wait_s", loaderWait);
                    json.put("optimizer", optimizer.name());
                    json.put("dropout", config.dropout());
                    json.put("optimizer_bytes_per_parameter", optimizer.stateBytesPerParameter());
                    json.put("report", report == null ? null : report.toString());
                    out.println(Json.write(json));
                }
            }
        }
    }

    /** Options that only make sense together, checked before anything is built. */
    private static void requireConsistentRunOptions(ParsedOptions o) {
        if (o.has(EPOCHS.name())) {
            if (o.has(STEPS.name())) {
                throw new UsageException("give --steps or --epochs, not both");
            }
            String data = o.text(DataChoice.DATA.name(), DataChoice.BUILTIN);
            if (data.equals(DataChoice.BUILTIN) || data.equals(DataChoice.SYNTHETIC)) {
                throw new UsageException("--epochs counts passes over a token shard or prepared folder; with --data "
                        + data + " give --steps");
            }
        }
        if (!o.has(CHECKPOINT_DIR.name())) {
            for (OptionSpec needsDir : List.of(CHECKPOINT_EVERY, KEEP_LAST, RESUME)) {
                if (o.has(needsDir.name())) {
                    throw new UsageException("--" + needsDir.name() + " needs --checkpoint-dir");
                }
            }
        }
    }

    /** {@code c} with the steps of --epochs passes over {@code train}. */
    private static TrainConfig withEpochs(ParsedOptions o, TokenSource train, TrainConfig c) {
        long batchesPerPass = (train.length() - 1) / ((long) c.microBatch() * c.seq());
        long steps = Math.max(1, batchesPerPass / c.gradAccum()) * o.intValue(EPOCHS.name(), 1);
        if (steps > Integer.MAX_VALUE) {
            throw new UsageException("--epochs " + o.intValue(EPOCHS.name(), 1) + " is " + steps + " steps, too many");
        }
        return trainConfig(o, (int) steps);
    }

    private static TrainConfig trainConfig(ParsedOptions o, int steps) {
        float lr = o.floatValue(LR.name(), D.lr());
        try {
            return new TrainConfig(o.intValue(BATCH.name(), D.microBatch()), o.intValue(SEQ.name(), D.seq()),
                    o.intValue(GRAD_ACCUM.name(), D.gradAccum()), steps, lr, o.floatValue(MIN_LR.name(), lr / 10),
                    o.intValue(WARMUP.name(), steps / 20), o.floatValue(WEIGHT_DECAY.name(), D.weightDecay()),
                    o.floatValue(CLIP.name(), D.clip()), o.intValue(EVAL_EVERY.name(), D.evalEvery()),
                    o.intValue(EVAL_BATCHES.name(), D.evalBatches()), o.longValue(SEED.name(), D.seed()),
                    o.floatValue(DROPOUT.name(), 0f));
        } catch (IllegalArgumentException e) {
            throw new UsageException(e.getMessage());
        }
    }

    private static void printStart(PrintStream err, Gpt2 model, Kernels kernels, PrecisionPolicy policy, TrainConfig c,
                                   DataChoice data, String init, Optimizer optimizer) {
        Gpt2Config m = model.config();
        err.printf("model: L=%d NH=%d C=%d maxT=%d V=%d, %,d parameters (%s)%n", m.nLayer(), m.nHead(), m.nEmbd(),
                m.nPositions(), m.vocabSize(), model.parameterCount(),
                init == null ? "new, seed " + c.seed() : "from " + init);
        err.println("device: " + deviceName(TrainingPrecision.device(kernels)) + ", precision " + policy.precision().cliName()
                + (policy.precision() == Precision.FP32 ? "" : " (emulated: FP32 arithmetic on values rounded as the format stores them)"));
        err.printf("batch: micro-batch %d x %d tokens x grad-accum %d = global batch %d sequences, %,d tokens per step; %d steps%n",
                c.microBatch(), c.seq(), c.gradAccum(), c.microBatch() * c.gradAccum(), c.tokensPerStep(), c.steps());
        err.printf("optimizer: %s; lr %.2e -> %.2e (cosine, %d warmup steps), clip %s; state %.2f bytes per parameter"
                        + " (%.2f with the weights and gradients)%n",
                optimizer.description(), c.lr(), c.minLr(), c.warmup(), c.clip() > 0 ? c.clip() : "off",
                optimizer.stateBytesPerParameter(),
                (double) (model.allocatedBytes() + optimizer.stateBytes()) / model.parameterCount());
        err.println(data.description());
        err.println("dropout: " + dropoutDescription(c));
    }

    /** "off", or the probability and the sites. */
    static String dropoutDescription(TrainConfig c) {
        return c.dropout() > 0 ? c.dropout() + " on the embedding, attention probabilities and residual branches (training only)"
                : "off";
    }

    private static void progress(PrintStream err, StepReport r, int logEvery, long tokensPerStep) {
        boolean log = r.step() == 1 || r.step() % logEvery == 0 || r.step() == r.steps();
        if (log) {
            err.printf("step %5d/%d | loss %.4f | lr %.2e | %,.0f tok/s | wait %.1f ms | ETA %s%n", r.step(), r.steps(),
                    r.loss(), r.lr(), r.step() * tokensPerStep / r.elapsedSeconds(), r.loaderWaitSeconds() * 1e3,
                    r.step() == 1 ? "?" : clock(r.etaSeconds()));
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

    /**
     * Token shards are read by the prefetching loader (one shard, rank 0 of 1; on a CUDA backend
     * staged in pinned memory and copied on a stream of its own), in-memory data in place.
     */
    private static BatchSource batches(DataChoice data, TrainConfig c, Kernels device) {
        DataChoice.requireBatch(data.train(), c.microBatch(), c.seq());
        return data.train() instanceof DataChoice.ShardTokens s
                ? ShardLoader.over(List.of(s.shard()), c.microBatch(), c.seq(), c.seed(), 0, 1, device)
                : new BatchReader(data.train(), c.microBatch(), c.seq());
    }

    private static Map<String, Object> json(TrainResult r, Kernels kernels, ExactMatch.Result accuracy, Gpt2MemoryPlan plan,
                                            int gradAccum) {
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("steps", r.steps());
        m.put("loss", MetricsWriter.finiteOrNull(r.loss()));
        m.put("val_loss", MetricsWriter.finiteOrNull(r.valLoss()));
        m.put("test_loss", MetricsWriter.finiteOrNull(r.testLoss()));
        m.put("stopped_early", r.stoppedEarly());
        m.put("interrupted", r.interrupted());
        m.put("tokens_per_second", Math.round(r.tokensPerSecond()));
        m.put("mfu", null); // only defined against a GPU's peak rate
        m.put("hfu", null); // likewise, with the recompute FLOPs
        m.put("peak_bytes", r.peakBytes());
        m.put("device", kernels.name());
        if (kernels instanceof CpuKernels cpu) {
            m.put("threads", cpu.threads());
        }
        m.put("precision", r.precision().precision().cliName());
        m.put("skipped_steps", r.precision().lossScaler().skippedSteps());
        m.put("loss_scale", r.precision().lossScaler().scale());
        m.put("seconds", r.seconds());
        m.put("model_flops_per_step", plan.schedule().modelFlops() * gradAccum);          // MFU counts these
        m.put("recompute_flops_per_step", plan.schedule().recomputeFlops() * gradAccum);  // HFU counts these too
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
