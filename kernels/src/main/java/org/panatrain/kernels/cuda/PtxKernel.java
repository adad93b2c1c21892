// The kernels of the committed PTX, each with the file it lives in and the storage types it was
// instantiated for. The entry-point names are the extern "C" names of native-src: base name plus
// a suffix per storage type (layernorm_forward_bf16). Leaves out loading: PtxModules does that.
package org.panatrain.kernels.cuda;

import java.util.List;
import org.panatrain.memory.DType;

/** One extern "C" kernel family of native-src. */
enum PtxKernel {
    FILL("elementwise", "fill"),
    ACCUMULATE("elementwise", "accumulate"),
    SCALE("elementwise", "scale"),
    ADD("elementwise", "add"),
    DROPOUT("dropout", "dropout"),
    COPY_BYTES("elementwise", "copy_bytes", Variants.UNTYPED),
    GELU_FORWARD("gelu", "gelu_forward"),
    GELU_BACKWARD("gelu", "gelu_backward"),
    ENCODER_FORWARD("encoder_forward", "encoder_forward"),
    ENCODER_BACKWARD_WTE("encoder_backward", "encoder_backward_wte"),
    ENCODER_BACKWARD_WPE("encoder_backward", "encoder_backward_wpe"),
    LAYERNORM_FORWARD("layernorm_forward", "layernorm_forward"),
    RESIDUAL_LAYERNORM_FORWARD("layernorm_forward", "residual_layernorm_forward"),
    LAYERNORM_BACKWARD_INPUT("layernorm_backward", "layernorm_backward_input"),
    LAYERNORM_BACKWARD_PARAMS_PARTIAL("layernorm_backward", "layernorm_backward_params_partial"),
    COLUMN_SUMS_PARTIAL("column_sums", "column_sums_partial"),
    COLUMN_SUMS_FINALIZE("column_sums", "column_sums_finalize"),
    ATTENTION_SOFTMAX_FORWARD("attention_softmax", "attention_softmax_forward"),
    ATTENTION_SOFTMAX_BACKWARD("attention_softmax", "attention_softmax_backward"),
    ATTENTION_SPLIT_HEADS("attention_permute", "attention_split_heads"),
    ATTENTION_MERGE_HEADS_GRAD("attention_permute", "attention_merge_heads_grad"),
    ATTENTION_HEADS_TO_ROWS("attention_permute", "attention_heads_to_rows"),
    ATTENTION_ROWS_TO_HEADS("attention_permute", "attention_rows_to_heads"),
    CROSS_ENTROPY("cross_entropy", "cross_entropy"),
    ADAMW("adamw", "adamw"),
    LION("lion", "lion"),
    ADAFACTOR_ROW_MOMENTS("adafactor", "adafactor_row_moments"),
    ADAFACTOR_COLUMN_PARTIAL("adafactor", "adafactor_column_partial"),
    ADAFACTOR_COLUMN_FINALIZE("adafactor", "adafactor_column_finalize", Variants.UNTYPED),
    ADAFACTOR_VECTOR_MOMENTS("adafactor", "adafactor_vector_moments"),
    ADAFACTOR_SQUARES_PARTIAL("adafactor", "adafactor_squares_partial"),
    ADAFACTOR_APPLY("adafactor", "adafactor_apply"),
    ADAMW8BIT("adamw8bit", "adamw8bit"),
    GLOBAL_NORM_PARTIAL("global_norm", "global_norm_partial"),
    GLOBAL_NORM_FINAL("global_norm", "global_norm_final", Variants.UNTYPED),
    CLIP_BY_GLOBAL_NORM("clip", "clip_by_global_norm"),
    CHECK_FINITE("check_finite", "check_finite"),
    CAST("cast", "cast", Variants.TYPE_PAIRS),
    CAST_FP8("cast_fp8", "cast", Variants.TO_FP8),
    CAST_TRANSPOSE_FP8("cast_fp8", "cast_transpose", Variants.TO_FP8);

    /** How the entry points of a family are named. */
    enum Variants {
        /** name_f32, name_bf16, name_f16 */
        STORAGE,
        /** name alone */
        UNTYPED,
        /** name_f32_to_bf16 and the other pairs of distinct storage types */
        TYPE_PAIRS,
        /** name_f32_to_e4m3, name_f32_to_e5m2 and the same from every storage type */
        TO_FP8
    }

    /** The FP8 formats the scaled casts write, in native-src's order. */
    static final List<DType> FP8_TYPES = List.of(DType.FP8_E4M3, DType.FP8_E5M2);

    /** The storage types kernels are instantiated for, in native-src's FOR_EACH_STORAGE order. */
    static final List<DType> STORAGE_TYPES = List.of(DType.FP32, DType.BF16, DType.FP16);

    final String module;
    final String base;
    final Variants variants;
    /** symbol(dtype) and symbol(from, to) by dtype ordinals, made on first use: a launch builds no string. */
    private final String[] byType = new String[DType.values().length];
    private final String[][] byTypePair = new String[DType.values().length][DType.values().length];

    PtxKernel(String module, String base) {
        this(module, base, Variants.STORAGE);
    }

    PtxKernel(String module, String base, Variants variants) {
        this.module = module;
        this.base = base;
        this.variants = variants;
    }

    /** The entry point for tensors of {@code dtype} (STORAGE families). */
    String symbol(DType dtype) {
        String s = byType[dtype.ordinal()];
        if (s == null) {
            s = base + "_" + suffix(dtype);
            byType[dtype.ordinal()] = s;   // a race only makes the same string twice
        }
        return s;
    }

    /** The entry point converting {@code from} into {@code to} (TYPE_PAIRS and TO_FP8 families). */
    String symbol(DType from, DType to) {
        String s = byTypePair[from.ordinal()][to.ordinal()];
        if (s == null) {
            s = base + "_" + suffix(from) + "_to_" + (variants == Variants.TO_FP8 ? fp8Suffix(to) : suffix(to));
            byTypePair[from.ordinal()][to.ordinal()] = s;
        }
        return s;
    }

    /** Every entry point of this family, as the PTX must declare them. */
    List<String> symbols() {
        return switch (variants) {
            case UNTYPED -> List.of(base);
            case STORAGE -> STORAGE_TYPES.stream().map(this::symbol).toList();
            case TYPE_PAIRS -> STORAGE_TYPES.stream().flatMap(a -> STORAGE_TYPES.stream().filter(b -> b != a)
                    .map(b -> symbol(a, b))).toList();
            case TO_FP8 -> STORAGE_TYPES.stream().flatMap(a -> FP8_TYPES.stream().map(b -> symbol(a, b))).toList();
        };
    }

    /** The name suffix of an FP8 format. */
    static String fp8Suffix(DType dtype) {
        return switch (dtype) {
            case FP8_E4M3 -> "e4m3";
            case FP8_E5M2 -> "e5m2";
            default -> throw new IllegalArgumentException("not an FP8 format: " + dtype);
        };
    }

    /** The name suffix of a storage type; anything else is not a storage type of these kernels. */
    static String suffix(DType dtype) {
        return switch (dtype) {
            case FP32 -> "f32";
            case BF16 -> "bf16";
            case FP16 -> "f16";
            default -> throw new IllegalArgumentException("the CUDA kernels store FP32, BF16 or FP16, not " + dtype);
        };
    }
}
