// The precision part of state.json: "precision", "loss_scaler" and "fp8" (one entry per FP8
// tensor: format, scale, next history slot, amax history). Floats are written as the doubles they
// widen to, so that they read back bit for bit; NaN and infinities (an amax can be either) as the
// strings "NaN", "Infinity", "-Infinity". Leaves out validation of the values' meaning: that is
// TrainingPrecision.restore's.
package org.panatrain.engine.checkpoint;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import org.panatrain.engine.io.BadInputException;
import org.panatrain.engine.precision.Fp8DelayedScaling;
import org.panatrain.engine.precision.LossScaler;
import org.panatrain.engine.precision.MatmulPrecision;
import org.panatrain.engine.precision.Precision;
import org.panatrain.engine.precision.PrecisionState;
import org.panatrain.memory.DType;

/** Writes and reads a {@link PrecisionState} as keys of state.json. */
final class PrecisionStateJson {
    private PrecisionStateJson() {
    }

    /** The keys "precision", "loss_scaler" and "fp8" of state.json. */
    static Map<String, Object> toJson(PrecisionState state) {
        LossScaler.State scaler = state.lossScaler();
        List<Object> tensors = new ArrayList<>();
        for (Fp8DelayedScaling.State t : state.fp8()) {
            List<Object> history = new ArrayList<>();
            for (float amax : t.amaxHistory()) {
                history.add(number(amax));
            }
            tensors.add(CheckpointState.ordered("format", t.format().name().toLowerCase(Locale.ROOT),
                    "scale", number(t.scale()), "next", (long) t.next(), "amax_history", history));
        }
        Map<String, Object> json = new LinkedHashMap<>();
        json.put("precision", state.precision().cliName());
        json.put("loss_scaler", CheckpointState.ordered("scale", number(scaler.scale()),
                "good_steps", (long) scaler.growthTracker(), "applied_steps", scaler.appliedSteps(),
                "skipped_steps", scaler.skippedSteps()));
        json.put("fp8", CheckpointState.ordered("tensors", tensors));
        return json;
    }

    /** The precision state in the parsed state.json {@code root} of {@code file}. */
    static PrecisionState fromJson(Path file, Map<?, ?> root) {
        if (!(root.get("precision") instanceof String name)) {
            throw new BadInputException(file, "precision is missing or not a string");
        }
        Precision precision;
        try {
            precision = Precision.parse(name);
        } catch (IllegalArgumentException e) {
            throw new BadInputException(file, "unknown precision \"" + name + "\"");
        }
        Map<?, ?> scaler = CheckpointState.object(file, root.get("loss_scaler"), "loss_scaler");
        LossScaler.State lossScaler = new LossScaler.State(floatValue(file, scaler.get("scale"), "loss_scaler.scale"),
                Math.toIntExact(CheckpointState.integer(file, scaler, "good_steps")),
                CheckpointState.integer(file, scaler, "applied_steps"), CheckpointState.integer(file, scaler, "skipped_steps"));
        Map<?, ?> fp8 = CheckpointState.object(file, root.get("fp8"), "fp8");
        if (!(fp8.get("tensors") instanceof List<?> tensors)) {
            throw new BadInputException(file, "fp8.tensors is missing or not a list");
        }
        List<Fp8DelayedScaling.State> states = new ArrayList<>();
        for (Object entry : tensors) {
            Map<?, ?> t = CheckpointState.object(file, entry, "fp8 tensor");
            if (!(t.get("amax_history") instanceof List<?> history)) {
                throw new BadInputException(file, "fp8 tensor " + states.size() + ": amax_history is missing or not a list");
            }
            float[] amaxes = new float[history.size()];
            for (int i = 0; i < amaxes.length; i++) {
                amaxes[i] = floatValue(file, history.get(i), "fp8 amax_history");
            }
            states.add(new Fp8DelayedScaling.State(fp8Format(file, t.get("format")), floatValue(file, t.get("scale"), "fp8 scale"),
                    amaxes, Math.toIntExact(CheckpointState.integer(file, t, "next"))));
        }
        return new PrecisionState(precision, lossScaler, states);
    }

    private static Object number(float value) {
        return Float.isFinite(value) ? (Object) (double) value : Float.toString(value);
    }

    private static float floatValue(Path file, Object value, String what) {
        return switch (value) {
            case Number n -> n.floatValue();
            case String s when s.equals("NaN") || s.equals("Infinity") || s.equals("-Infinity") -> Float.parseFloat(s);
            case null, default -> throw new BadInputException(file, what + " is not a number: " + value);
        };
    }

    private static DType fp8Format(Path file, Object name) {
        for (DType type : DType.values()) {
            if (MatmulPrecision.isFp8(type) && type.name().toLowerCase(Locale.ROOT).equals(name)) {
                return type;
            }
        }
        throw new BadInputException(file, "fp8 tensor format " + name + " is not fp8_e4m3 or fp8_e5m2");
    }
}
