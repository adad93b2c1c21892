// The bytes a run really allocates on its backend for the model and the optimizer, read from their
// arenas' counters, against counts written here from the parameter shapes: AdamW 16 a parameter
// (4 weight + 4 gradient + 8 moments), Lion 12, Adafactor 8 + 4 (rows + cols) a matrix and 4 an
// element of a vector, AdamW8bit 10 + 8 a block of 256. The memory plan counts the same bytes.
package org.panatrain.engine.optim;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.EnumMap;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.panatrain.engine.model.CpuBackend;
import org.panatrain.engine.model.Gpt2;
import org.panatrain.engine.model.Gpt2Config;
import org.panatrain.engine.model.Gpt2MemoryPlan;
import org.panatrain.engine.model.Parameter;

class OptimizerMemoryTest {
    @RegisterExtension
    static final CpuBackend CPU = new CpuBackend(1);
    private static final Gpt2Config CONFIG = OptimizerRuns.SMALL;

    /** Model + optimizer bytes per kind, from the shapes: what each run must allocate. */
    private static Map<OptimizerKind, Long> expectedBytes(Gpt2 model) {
        long elements = 0;
        long factored = 0;   // Adafactor: rows + cols of each matrix, elements of each vector
        long blocks = 0;     // AdamW8bit: blocks of 256 of each parameter
        for (Parameter p : model.parameters()) {
            int[] s = p.spec().shape();
            long n = 1;
            for (int d : s) {
                n *= d;
            }
            elements += n;
            factored += s.length == 2 ? s[0] + s[1] : n;
            blocks += (n + 255) / 256;
        }
        long weightsAndGrads = 8 * elements;
        Map<OptimizerKind, Long> m = new EnumMap<>(OptimizerKind.class);
        m.put(OptimizerKind.ADAMW, weightsAndGrads + 8 * elements);
        m.put(OptimizerKind.LION, weightsAndGrads + 4 * elements);
        m.put(OptimizerKind.ADAFACTOR, weightsAndGrads + 4 * factored);
        m.put(OptimizerKind.ADAMW8BIT, weightsAndGrads + 2 * elements + 2 * 4 * blocks);
        return m;
    }

    @Test
    void theModelHoldsWeightsAndGradientsOnly() {
        try (Gpt2 model = Gpt2.create(CONFIG, CPU.kernels(), 1)) {
            assertThat(model.allocatedBytes()).isEqualTo(8 * CONFIG.parameterCount());
        }
    }

    @Test
    void eachOptimizerAllocatesOnlyItsOwnState() {
        for (OptimizerKind kind : OptimizerKind.values()) {
            try (Gpt2 model = Gpt2.create(CONFIG, CPU.kernels(), 1); Optimizer opt = kind.create(model, 0.1f)) {
                long expected = expectedBytes(model).get(kind);
                long measured = model.allocatedBytes() + opt.stateBytes();
                assertThat(measured).as(kind.cliName()).isEqualTo(expected);
                double perParameter = (double) measured / model.parameterCount();
                switch (kind) {
                    case ADAMW -> assertThat(perParameter).isEqualTo(16.0);
                    case LION -> assertThat(perParameter).isEqualTo(12.0);
                    case ADAFACTOR -> assertThat(perParameter).isBetween(8.0, 8.5);
                    case ADAMW8BIT -> assertThat(perParameter).isBetween(10.0, 10.1);
                }
                // the state tensors a checkpoint saves are exactly what was allocated
                assertThat(opt.stateTensors().values().stream().mapToLong(t -> t.byteSize()).sum())
                        .as(kind.cliName()).isEqualTo(opt.stateBytes());
                Map<String, Long> planned = Gpt2MemoryPlan.modelStateBytesByCategory(CONFIG, Gpt2MemoryPlan.FP32, kind);
                assertThat(planned.get("PARAMETER") + planned.get("GRADIENT") + planned.get("OPTIMIZER_STATE"))
                        .as(kind.cliName()).isEqualTo(measured);
            }
        }
    }
}
