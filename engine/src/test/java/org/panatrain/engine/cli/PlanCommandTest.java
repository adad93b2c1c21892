// `panatrain plan` through Main: the --json keys, the model state and FLOPs of GPT-2 124M checked
// against counts written here from its published parameter count and its shapes, the per-precision
// state bytes, the largest micro-batch as the edge of fitting and monotone in the budget, a plan
// that cannot fit (exit 0, fits=false, advice), and one-line usage errors for bad budgets.
package org.panatrain.engine.cli;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.panatrain.engine.io.Json;

class PlanCommandTest {
    // GPT-2 124M: L=12, C=768, V=50257, 1024 positions; 124,439,808 parameters with the tied head
    static final long P = 124_439_808L;
    static final long L = 12;
    static final long C = 768;
    static final long V = 50257;

    @SuppressWarnings("unchecked")
    static Map<String, Object> plan(String... args) {
        MainTest.Outcome o = MainTest.run(args);
        assertThat(o.status()).as(o.err()).isZero();
        return (Map<String, Object>) Json.parse(o.lastOutLine());
    }

    static long bytes(Map<String, Object> json, String key) {
        return ((Number) json.get(key)).longValue();
    }

    static double number(Map<String, Object> json, String key) {
        return ((Number) json.get(key)).doubleValue();
    }

    @Test
    void gpt2StateFlopsAndRecomputeMatchTheCountsFromItsShapes() {
        long B = 8;
        long T = 1024;
        long tokens = B * T;
        long layerWeights = 12 * C * C;                 // c_attn 3C^2, attn c_proj C^2, c_fc 4C^2, mlp c_proj 4C^2
        long attention = 4 * B * T * T * C;             // QK^T and att @ V, forward
        long modelFlops = 6 * tokens * (L * layerWeights + V * C) + 3 * L * attention;
        Map<String, Long> recompute = Map.of("none", 0L, "selective", L * attention,
                "full", L * (2 * tokens * layerWeights + attention));
        long previousPeak = Long.MAX_VALUE;
        for (String policy : List.of("none", "selective", "full")) {
            Map<String, Object> json = plan("plan", "--model", "gpt2", "--batch", "8", "--seq", "1024", "--recompute",
                    policy, "--json");
            assertThat(json.keySet()).contains("fits", "peak_bytes", "lower_bound_bytes", "ratio",
                    "recompute_flops_fraction", "max_micro_batch");
            assertThat(json.get("fits")).isEqualTo(true);
            assertThat(json.get("max_micro_batch")).isNull();   // no budget, nothing to search
            assertThat(json.get("budget_bytes")).isNull();
            assertThat(json.get("parameters")).isEqualTo(P);
            Map<?, ?> categories = (Map<?, ?>) json.get("bytes_by_category");
            assertThat(categories.get("PARAMETER")).isEqualTo(4 * P);
            assertThat(categories.get("GRADIENT")).isEqualTo(4 * P);
            assertThat(categories.get("OPTIMIZER_STATE")).isEqualTo(8 * P);
            assertThat(categories.containsKey("WORKING_WEIGHT")).isFalse();
            assertThat(bytes(json, "model_state_bytes")).isEqualTo(16 * P);
            long sum = categories.values().stream().mapToLong(v -> ((Number) v).longValue()).sum();
            assertThat(sum).isEqualTo(bytes(json, "lower_bound_bytes"));
            long peak = bytes(json, "peak_bytes");
            assertThat(peak).isEqualTo(16 * P + bytes(json, "arena_peak_bytes"))
                    .isGreaterThanOrEqualTo(bytes(json, "lower_bound_bytes")).isLessThan(previousPeak);
            previousPeak = peak;
            assertThat(number(json, "ratio")).isCloseTo((double) peak / bytes(json, "lower_bound_bytes"), within(1e-12))
                    .isLessThanOrEqualTo(1.05);
            assertThat(bytes(json, "model_flops")).isEqualTo(modelFlops);
            assertThat(bytes(json, "recompute_flops")).isEqualTo(recompute.get(policy));
            assertThat(number(json, "recompute_flops_fraction"))
                    .isCloseTo((double) recompute.get(policy) / modelFlops, within(1e-12));
            assertThat(json.get("per_layer")).isEqualTo(List.of(policy, policy, policy, policy, policy, policy, policy,
                    policy, policy, policy, policy, policy));
        }
    }

    @Test
    void theOptimizerStateIsTheChosenOptimizers() {
        // Adafactor keeps rows + cols floats of a matrix and every element of a vector: wte, wpe,
        // per layer ln_1/ln_2 (4C), c_attn (C + 3C, bias 3C), attn c_proj (2C, bias C), c_fc (5C,
        // bias 4C), mlp c_proj (5C, bias C): 29C; ln_f 2C.
        long adafactor = 4 * ((V + C) + (1024 + C) + L * 29 * C + 2 * C);
        Map<String, Long> expected = Map.of("adamw", 8 * P, "lion", 4 * P, "adafactor", adafactor);
        for (Map.Entry<String, Long> e : expected.entrySet()) {
            Map<String, Object> json = plan("plan", "--model", "gpt2", "--seq", "256", "--optimizer", e.getKey(), "--json");
            assertThat(json.get("optimizer")).isEqualTo(e.getKey());
            assertThat(((Map<?, ?>) json.get("bytes_by_category")).get("OPTIMIZER_STATE")).as(e.getKey())
                    .isEqualTo(e.getValue());
            assertThat(bytes(json, "model_state_bytes")).isEqualTo(8 * P + e.getValue());
        }
        // AdamW8bit: a byte per element of each moment and an FP32 absmax per block of 256 of each;
        // every GPT-2 124M tensor has a dimension of C = 3 x 256, so the blocks are exactly P / 256
        assertThat(P % 256).isZero();
        Map<String, Object> bits8 = plan("plan", "--model", "gpt2", "--seq", "256", "--optimizer", "adamw8bit", "--json");
        assertThat(bytes(bits8, "model_state_bytes") - 8 * P).isEqualTo(2 * P + 2 * 4 * (P / 256));
    }

    @Test
    void lowPrecisionsKeepFp32StateAndAddAWorkingCopyOfTheWeights() {
        Map<String, Object> fp32 = plan("plan", "--model", "gpt2", "--seq", "512", "--json");
        Map<String, Object> tf32 = plan("plan", "--model", "gpt2", "--seq", "512", "--precision", "tf32", "--json");
        Map<String, Object> bf16 = plan("plan", "--model", "gpt2", "--seq", "512", "--precision", "bf16", "--json");
        Map<String, Object> fp16 = plan("plan", "--model", "gpt2", "--seq", "512", "--precision", "fp16", "--json");
        Map<String, Object> fp8 = plan("plan", "--model", "gpt2", "--seq", "512", "--precision", "fp8", "--json");
        assertThat(tf32.get("peak_bytes")).isEqualTo(fp32.get("peak_bytes"));   // TF32 is a compute mode, FP32 storage
        for (Map<String, Object> low : List.of(bf16, fp16, fp8)) {
            Map<?, ?> categories = (Map<?, ?>) low.get("bytes_by_category");
            assertThat(categories.get("PARAMETER")).isEqualTo(4 * P);
            assertThat(categories.get("GRADIENT")).isEqualTo(4 * P);
            assertThat(categories.get("OPTIMIZER_STATE")).isEqualTo(8 * P);
            assertThat(categories.get("WORKING_WEIGHT")).isEqualTo(2 * P);
            // 2-byte activations, but FP32 attention probabilities and layernorm statistics: between 1/2 and 1
            assertThat(bytes(low, "arena_peak_bytes")).isLessThan(bytes(fp32, "arena_peak_bytes"))
                    .isGreaterThan(bytes(fp32, "arena_peak_bytes") / 2);
            assertThat(low.get("arena_peak_bytes")).isEqualTo(bf16.get("arena_peak_bytes"));   // fp8 stores BF16
        }
    }

    @Test
    void theLargestMicroBatchIsTheEdgeOfFittingAndGrowsWithTheBudget() {
        String[] mini = {"plan", "--model", "gpt2-mini", "--seq", "256", "--recompute", "selective", "--json"};
        long state = 16 * (6 * (12 * 384 * 384 + 13 * 384) + (256 + 256) * 384 + 2 * 384);   // gpt2-mini, FP32 + AdamW
        int previous = -1;
        for (long budget = state; budget <= state + (1L << 30); budget += 128L << 20) {
            Map<String, Object> json = plan(concat(mini, "--memory-budget", Long.toString(budget)));
            assertThat(json.get("budget_bytes")).isEqualTo(budget);
            int max = ((Number) json.get("max_micro_batch")).intValue();
            assertThat(max).as("budget %d", budget).isGreaterThanOrEqualTo(previous);
            previous = max;
        }
        assertThat(previous).isGreaterThan(8);
        String budget = Long.toString(state + (512L << 20));
        int max = ((Number) plan(concat(mini, "--memory-budget", budget)).get("max_micro_batch")).intValue();
        Map<String, Object> atMax = plan(concat(mini, "--memory-budget", budget, "--batch", Integer.toString(max)));
        Map<String, Object> above = plan(concat(mini, "--memory-budget", budget, "--batch", Integer.toString(max + 1)));
        assertThat(atMax.get("fits")).isEqualTo(true);
        assertThat(above.get("fits")).isEqualTo(false);
        assertThat(bytes(above, "shortfall_bytes")).isEqualTo(bytes(above, "peak_bytes") - Long.parseLong(budget));
    }

    @Test
    void aPlanThatCannotFitIsAnAnswerWithAdvice() {
        Map<String, Object> tooSmall = plan("plan", "--model", "gpt2", "--memory-budget", "1GiB", "--json");
        assertThat(tooSmall.get("fits")).isEqualTo(false);
        assertThat(tooSmall.get("recompute")).isEqualTo("auto");   // the default with a budget
        assertThat(tooSmall.get("max_micro_batch")).isEqualTo(0L);
        assertThat(bytes(tooSmall, "shortfall_bytes")).isEqualTo(bytes(tooSmall, "peak_bytes") - (1L << 30));
        assertThat((String) tooSmall.get("advice")).contains("model state alone (" + 16 * P + " bytes)");

        // gpt2-mini, T=256: a budget that B=1 with full recompute fits, but not B=64
        long oneFull = bytes(plan("plan", "--model", "gpt2-mini", "--batch", "1", "--seq", "256", "--recompute",
                "full", "--json"), "peak_bytes");
        String budget = Long.toString(oneFull + (8L << 20));
        Map<String, Object> json = plan("plan", "--model", "gpt2-mini", "--batch", "64", "--seq", "256",
                "--memory-budget", budget, "--json");
        assertThat(json.get("fits")).isEqualTo(false);
        assertThat(json.get("per_layer")).isEqualTo(List.of("full", "full", "full", "full", "full", "full"));
        long best = 0;
        long fullMax = 0;
        for (String policy : List.of("none", "selective", "full")) {
            long max = bytes(plan("plan", "--model", "gpt2-mini", "--seq", "256", "--recompute", policy,
                    "--memory-budget", budget, "--json"), "max_micro_batch");
            best = Math.max(best, max);
            fullMax = max;
        }
        assertThat(fullMax).isBetween(1L, 63L);
        assertThat(json.get("max_micro_batch")).isEqualTo(best);   // auto: the best of the three
        assertThat((String) json.get("advice")).contains(bytes(json, "shortfall_bytes") + " more than the budget of "
                + budget, "--recompute full at micro-batch " + fullMax);

        MainTest.Outcome human = MainTest.run("plan", "--model", "gpt2-mini", "--batch", "64", "--seq", "256",
                "--memory-budget", budget);
        assertThat(human.status()).isZero();
        assertThat(human.out()).contains("does not fit: needs ", "largest micro-batch that fits: " + best,
                "per layer    h.0-5 full");
    }

    @Test
    void budgetsTakeDecimalAndBinaryUnits() {
        Map<String, Long> sizes = Map.of("512MiB", 512L << 20, "8GiB", 8L << 30, "80GB", 80_000_000_000L,
                "1000000", 1_000_000L, "1.5GiB", 3L << 29, "2kB", 2000L, "64 KiB", 65536L);
        for (var e : sizes.entrySet()) {
            Map<String, Object> json = plan("plan", "--model", "gpt2-tiny", "--seq", "64", "--recompute", "none",
                    "--memory-budget", e.getKey(), "--json");
            assertThat(json.get("budget_bytes")).as(e.getKey()).isEqualTo(e.getValue());
        }
    }

    @Test
    void badValuesExitWithTwoAndOneLine() {
        for (String bad : List.of("8G", "lots", "-1", "1.5.2GB", "GiB", "", "99999999999TiB")) {
            MainTest.Outcome o = MainTest.run("plan", "--model", "gpt2", "--memory-budget", bad);
            assertThat(o.status()).as(bad).isEqualTo(2);
            assertThat(o.errLines()).containsExactly("panatrain plan: --memory-budget: expected a size such as 512MiB,"
                    + " 8GiB, 80GB or a number of bytes, got '" + bad + "'");
        }
        assertOneLine(MainTest.run("plan", "--recompute", "auto"), "panatrain plan: --recompute auto needs --memory-budget SIZE");
        assertOneLine(MainTest.run("plan", "--model", "gpt2", "--seq", "2048"),
                "panatrain plan: --seq 2048 is longer than the model's n_positions 1024");
        assertOneLine(MainTest.run("plan", "--precision", "fp4"),
                "panatrain plan: --precision: expected one of fp32, tf32, bf16, fp16, fp8, got 'fp4'");
    }

    private static void assertOneLine(MainTest.Outcome o, String line) {
        assertThat(o.status()).isEqualTo(2);
        assertThat(o.errLines()).containsExactly(line);
    }

    private static String[] concat(String[] a, String... b) {
        String[] all = java.util.Arrays.copyOf(a, a.length + b.length);
        System.arraycopy(b, 0, all, a.length, b.length);
        return all;
    }
}
