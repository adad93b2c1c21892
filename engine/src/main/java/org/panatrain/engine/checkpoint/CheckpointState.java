// What a checkpoint records besides the tensors: the step, where the data loader is, the RNG,
// the precision with its loss scaler and FP8 scaling histories, the early-stopping record (best
// validation loss, evaluations since), the run's config (compared on resume) and the format
// version, as state.json. Leaves out the checksums (the store adds and checks those, since they
// describe files, not the run).
package org.panatrain.engine.checkpoint;

import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.SequencedMap;
import org.panatrain.engine.data.ShardLoader;
import org.panatrain.engine.io.BadInputException;
import org.panatrain.engine.precision.PrecisionState;

/**
 * The run state of one checkpoint.
 *
 * <pre>{@code
 * CheckpointState state = new CheckpointState(step, loader.position(), shuffleSeed, rngState,
 *         precision.state(), Double.NaN, 0, config);   // config: the settings a resume must match, e.g. "model" -> "gpt2-tiny"
 * }</pre>
 *
 * @param step           optimizer steps done
 * @param data           where the data loader is: epoch (passes completed; the shuffle of the current
 *                       pass derives from it), shard index in that epoch's order, token offset in the shard
 * @param shuffleSeed    the seed the data order is shuffled with
 * @param rngState       the state of the run's random generator (dropout, sampling)
 * @param precision      the run's precision, loss scaler (scale 1 without loss scaling) and FP8 scaling state
 * @param bestValLoss    the lowest validation loss so far (NaN before the first evaluation)
 * @param evalsSinceBest validation evaluations since the best one (early stopping's patience count)
 * @param config         the run's settings; a resume with different settings is refused
 */
public record CheckpointState(long step, ShardLoader.Position data, long shuffleSeed, long rngState,
                              PrecisionState precision, double bestValLoss, long evalsSinceBest,
                              SequencedMap<String, String> config) {
    /** The value of state.json's "format" key. */
    public static final String FORMAT = "panatrain-checkpoint";
    /** The layout version this code writes and reads. */
    public static final long FORMAT_VERSION = 1;

    public CheckpointState {
        if (step < 0 || evalsSinceBest < 0) {
            throw new IllegalArgumentException("negative step or evaluation count");
        }
        config = new LinkedHashMap<>(config);
    }

    /** state.json's content, with the given checksums of the tensor files. */
    Map<String, Object> toJson(Map<String, String> checksums) {
        Map<String, Object> json = new LinkedHashMap<>();
        json.put("format", FORMAT);
        json.put("format_version", FORMAT_VERSION);
        json.put("step", step);
        json.put("data", ordered("epoch", data.epoch(), "shard", (long) data.shard(), "position", data.offset(),
                "shuffle_seed", shuffleSeed));
        json.put("rng", ordered("state", rngState));
        json.putAll(PrecisionStateJson.toJson(precision));
        json.put("early_stopping", ordered("best_val_loss", Double.isNaN(bestValLoss) ? null : bestValLoss,
                "evals_since_best", evalsSinceBest));
        json.put("config", new LinkedHashMap<>(config));
        json.put("checksums", new LinkedHashMap<>(checksums));
        return json;
    }

    static Map<String, Object> ordered(Object... keysAndValues) {
        Map<String, Object> m = new LinkedHashMap<>();
        for (int i = 0; i < keysAndValues.length; i += 2) {
            m.put((String) keysAndValues[i], keysAndValues[i + 1]);
        }
        return m;
    }

    /**
     * The state in {@code json} (parsed state.json of {@code file}). A file of another format or
     * version is a BadInputException: it is refused, not skipped.
     */
    static CheckpointState fromJson(Path file, Object json) {
        Map<?, ?> root = object(file, json, "state");
        if (!FORMAT.equals(root.get("format"))) {
            throw new BadInputException(file, "not a Panatrain checkpoint state (format " + root.get("format")
                    + ", expected " + FORMAT + ")");
        }
        long version = integer(file, root, "format_version");
        if (version != FORMAT_VERSION) {
            throw new BadInputException(file, "checkpoint format version " + version + " is not the version "
                    + FORMAT_VERSION + " this Panatrain reads");
        }
        Map<?, ?> data = object(file, root.get("data"), "data");
        Map<?, ?> rng = object(file, root.get("rng"), "rng");
        Map<?, ?> early = object(file, root.get("early_stopping"), "early_stopping");
        Map<?, ?> config = object(file, root.get("config"), "config");
        SequencedMap<String, String> settings = new LinkedHashMap<>();
        for (Map.Entry<?, ?> e : config.entrySet()) {
            if (!(e.getValue() instanceof String s)) {
                throw new BadInputException(file, "config value of " + e.getKey() + " is not a string");
            }
            settings.put((String) e.getKey(), s);
        }
        Object best = early.get("best_val_loss");
        if (best != null && !(best instanceof Number)) {
            throw new BadInputException(file, "early_stopping.best_val_loss is neither a number nor null");
        }
        try {
            // "shard" came with the shard loader; a state without it is the sequential reader's (shard 0)
            long shard = data.containsKey("shard") ? integer(file, data, "shard") : 0;
            var position = new ShardLoader.Position(integer(file, data, "epoch"), Math.toIntExact(shard),
                    integer(file, data, "position"));
            return new CheckpointState(integer(file, root, "step"), position, integer(file, data, "shuffle_seed"),
                    integer(file, rng, "state"),
                    PrecisionStateJson.fromJson(file, root), best == null ? Double.NaN : ((Number) best).doubleValue(),
                    integer(file, early, "evals_since_best"), settings);
        } catch (IllegalArgumentException e) {
            throw new BadInputException(file, e.getMessage());
        }
    }

    /** The checksums map of a parsed state.json: file name -> "sha256:<hex>". */
    static Map<String, String> checksums(Path file, Object json) {
        Map<?, ?> sums = object(file, object(file, json, "state").get("checksums"), "checksums");
        Map<String, String> out = new LinkedHashMap<>();
        for (Map.Entry<?, ?> e : sums.entrySet()) {
            out.put((String) e.getKey(), String.valueOf(e.getValue()));
        }
        return out;
    }

    static Map<?, ?> object(Path file, Object value, String what) {
        if (!(value instanceof Map<?, ?> map)) {
            throw new BadInputException(file, what + " is missing or not a JSON object");
        }
        return map;
    }

    static long integer(Path file, Map<?, ?> map, String key) {
        if (!(map.get(key) instanceof Long v)) {
            throw new BadInputException(file, key + " is missing or not an integer");
        }
        return v;
    }
}
