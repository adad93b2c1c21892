// Option parsing by hand: both spellings, flags, and every way a command line can be wrong.
package org.panatrain.engine.cli;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.List;
import org.junit.jupiter.api.Test;

class ParsedOptionsTest {
    private static final List<OptionSpec> SPECS = List.of(
            OptionSpec.of("batch", OptionSpec.Kind.POSITIVE_INT, "B", ""),
            OptionSpec.of("warmup", OptionSpec.Kind.NON_NEGATIVE_INT, "N", ""),
            OptionSpec.of("seed", OptionSpec.Kind.INTEGER, "N", ""),
            OptionSpec.of("lr", OptionSpec.Kind.NON_NEGATIVE_NUMBER, "X", ""),
            OptionSpec.of("data", OptionSpec.Kind.TEXT, "FILE", ""),
            OptionSpec.choice("device", List.of("cpu", "cuda"), ""),
            OptionSpec.flag("json", ""));

    private static ParsedOptions parse(String... args) {
        return ParsedOptions.parse(List.of(args), SPECS);
    }

    @Test
    void readsBothSpellingsAndFlags() {
        ParsedOptions o = parse("--batch", "8", "--lr=3e-4", "--json", "--data=a=b.bin", "--seed", "-5", "--warmup", "0");
        assertThat(o.intValue("batch", 1)).isEqualTo(8);
        assertThat(o.floatValue("lr", 1)).isEqualTo(3e-4f);
        assertThat(o.flag("json")).isTrue();
        assertThat(o.text("data", "")).isEqualTo("a=b.bin");
        assertThat(o.longValue("seed", 0)).isEqualTo(-5);
        assertThat(o.intValue("warmup", 9)).isZero();
        assertThat(o.intValue("missing", 42)).isEqualTo(42);
        assertThat(o.flag("device")).isFalse();
    }

    @Test
    void badValuesNameTheOptionAndTheValue() {
        assertThatThrownBy(() -> parse("--batch", "x")).isInstanceOf(UsageException.class)
                .hasMessage("--batch: expected a positive integer, got 'x'");
        assertThatThrownBy(() -> parse("--batch=0")).hasMessage("--batch: expected a positive integer, got '0'");
        assertThatThrownBy(() -> parse("--batch", "99999999999")).hasMessageContaining("positive integer");
        assertThatThrownBy(() -> parse("--warmup", "-1")).hasMessage("--warmup: expected a non-negative integer, got '-1'");
        assertThatThrownBy(() -> parse("--lr", "NaN")).hasMessage("--lr: expected a non-negative number, got 'NaN'");
        assertThatThrownBy(() -> parse("--lr", "-1e-3")).hasMessageContaining("non-negative number");
        assertThatThrownBy(() -> parse("--lr", "1e999")).hasMessageContaining("non-negative number");
        assertThatThrownBy(() -> parse("--seed", "1.5")).hasMessage("--seed: expected an integer, got '1.5'");
        assertThatThrownBy(() -> parse("--device", "tpu")).hasMessage("--device: expected one of cpu, cuda, got 'tpu'");
    }

    @Test
    void malformedCommandLinesAreUsageErrors() {
        assertThatThrownBy(() -> parse("--nope", "1")).isInstanceOf(UsageException.class)
                .hasMessageContaining("unknown option --nope");
        assertThatThrownBy(() -> parse("--batch")).hasMessage("--batch: missing value (B)");
        assertThatThrownBy(() -> parse("--json=yes")).hasMessageContaining("--json takes no value");
        assertThatThrownBy(() -> parse("stray")).hasMessageContaining("unexpected argument 'stray'");
        assertThatThrownBy(() -> parse("--batch", "1", "--batch", "2")).hasMessage("--batch given twice");
    }
}
