// The strict JSON parser and the compact writer: values, escapes, every rejection, positions.
package org.panatrain.engine.io;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.file.Path;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

class JsonTest {
    @Test
    void parsesEveryKindOfValueKeepingKeyOrder() {
        Object v = Json.parse(" {\"b\": [1, -2.5, 3e2, true, false, null], \"a\": {\"x\": \"y\"}, \"big\": 12345678901234}\n");
        assertThat(v).isInstanceOf(LinkedHashMap.class);
        Map<?, ?> m = (Map<?, ?>) v;
        assertThat(List.copyOf(m.keySet())).isEqualTo(List.of("b", "a", "big"));
        assertThat(m.get("b")).isEqualTo(java.util.Arrays.asList(1L, -2.5, 300.0, true, false, null));
        assertThat(m.get("a")).isEqualTo(Map.of("x", "y"));
        assertThat(m.get("big")).isEqualTo(12345678901234L);
        assertThat(Json.parse("[]")).isEqualTo(List.of());
        assertThat(Json.parse("{}")).isEqualTo(Map.of());
        assertThat(Json.parse("-0")).isEqualTo(0L);
        assertThat(Json.parse("99999999999999999999")).isEqualTo(1e20);
    }

    @Test
    void decodesEscapes() {
        assertThat(Json.parse("\"a\\\"b\\\\c\\/d\\b\\f\\n\\r\\t\\u00e9\\ud83d\\ude00\""))
                .isEqualTo("a\"b\\c/d\b\f\n\r\t\u00e9\ud83d\ude00");
    }

    @Test
    void rejectsDuplicateKeysNamingTheKeyAndWhereItIs() {
        assertThatThrownBy(() -> Json.parse("{\"a\": 1,\n \"a\": 2}"))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessage("duplicate key \"a\" at line 2, column 2 (offset 10)");
    }

    @Test
    void rejectsWhatTheGrammarDoesNotAllowWithAPosition() {
        for (String bad : List.of("", "{", "[1,]", "{\"a\":1,}", "01", "1.", ".5", "1e", "+1", "NaN", "Infinity",
                "\"abc", "\"a\nb\"", "\"\\x\"", "\"\\u12g4\"", "tru", "{1: 2}", "{\"a\" 1}", "[1 2]", "1 2",
                "'a'", "[1]]", "{\"a\":1}x")) {
            assertThatThrownBy(() -> Json.parse(bad)).as("input %s", bad)
                    .isInstanceOf(IllegalArgumentException.class)
                    .hasMessageContaining("at line 1, column ");
        }
    }

    @Test
    void refusesNestingDeepEnoughToOverflowTheStack() {
        String deep = "[".repeat(100_000) + "]".repeat(100_000);
        assertThatThrownBy(() -> Json.parse(deep)).hasMessageContaining("nesting deeper than");
    }

    @Test
    void errorsForAFileNameTheFile() {
        Path file = Path.of("state.json");
        assertThatThrownBy(() -> Json.parse(file, "{\"step\": }"))
                .isInstanceOf(BadInputException.class)
                .hasMessageStartingWith("state.json: invalid JSON: unexpected character '}' at line 1, column 10");
    }

    @Test
    void writesCompactJsonWithEscapes() {
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("s", "q\"b\\n\n\u0001é");
        m.put("n", List.of(1, 2L, 2.5, 1.5f));
        m.put("t", true);
        m.put("z", null);
        m.put("o", Map.of());
        String text = Json.write(m);
        assertThat(text).isEqualTo("{\"s\":\"q\\\"b\\\\n\\n\\u0001é\",\"n\":[1,2,2.5,1.5],\"t\":true,\"z\":null,\"o\":{}}");
    }

    @Test
    void writtenTextParsesBackToTheSameValue() {
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("every control", new String(new char[] {0, 7, 8, 9, 10, 12, 13, 31, '"', '\\', '/'}));
        m.put("nested", List.of(List.of(), Map.of("k", -3L), 1e-7, Long.MIN_VALUE));
        m.put("nothing", null);
        assertThat(Json.parse(Json.write(m))).isEqualTo(m);
    }

    @Test
    void refusesNonFiniteNumbersAndUnknownTypes() {
        assertThatThrownBy(() -> Json.write(Double.NaN)).isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> Json.write(Float.POSITIVE_INFINITY)).isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> Json.write(Arrays.asList(new Object()))).isInstanceOf(IllegalArgumentException.class);
    }
}
