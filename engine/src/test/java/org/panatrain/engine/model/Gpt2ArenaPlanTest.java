// The memory planner on real GPT-2 training graphs: the plan is within 5% of the lower bound for
// every preset at several batch sizes, no two arena tensors live at one op share bytes (checked
// here from the graph's own lifetimes), and a step run in the planned arena computes bit for bit
// what it computes when every tensor has its own bytes.
package org.panatrain.engine.model;

import static org.assertj.core.api.Assertions.assertThat;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import org.junit.jupiter.api.Test;
import org.panatrain.engine.graph.ArenaLayout;
import org.panatrain.engine.graph.ArenaPlan;
import org.panatrain.engine.graph.Executor;
import org.panatrain.engine.graph.Lifetime;
import org.panatrain.engine.graph.TensorSpec;
import org.panatrain.kernels.Kernels;
import org.panatrain.kernels.cpu.CpuKernels;
import org.panatrain.memory.DType;
import org.panatrain.memory.MemoryPlan;
import org.panatrain.memory.Tensor;

class Gpt2ArenaPlanTest {

    @Test
    void everyPresetPlansWithin5PercentOfTheLowerBound() {
        List<String> report = new ArrayList<>();
        for (var preset : Gpt2Config.PRESETS.entrySet()) {
            Gpt2Config cfg = preset.getValue();
            int T = Math.min(1024, cfg.nPositions());
            for (int B : new int[] {1, 4, 8}) {
                MemoryPlan plan = Gpt2TrainingGraph.build(cfg, B, T).arenaPlan().memory();
                report.add(String.format("%s B=%d T=%d: peak %d, lower bound %d, ratio %.4f", preset.getKey(), B, T,
                        plan.peakBytes(), plan.lowerBoundBytes(), plan.ratio()));
                assertThat(plan.ratio()).as(report.getLast()).isLessThanOrEqualTo(1.05);
            }
        }
        System.out.println(String.join("\n", report));
    }

    @Test
    void tensorsLiveTogetherNeverShareBytesAndHostVisibleOnesAreNeverShared() {
        Gpt2TrainingGraph g = Gpt2TrainingGraph.build(Gpt2Config.named("gpt2-tiny"), 2, 64);
        ArenaPlan plan = g.arenaPlan();
        List<Lifetime> lives = g.graph().lifetimes();
        List<TensorSpec> specs = plan.specs();
        assertThat(specs).containsAll(g.hostVisible());
        int sharing = 0;
        for (int i = 0; i < specs.size(); i++) {
            for (int j = i + 1; j < specs.size(); j++) {
                TensorSpec a = specs.get(i);
                TensorSpec b = specs.get(j);
                long oa = plan.layout().offset(a);
                long ob = plan.layout().offset(b);
                boolean apart = oa + a.byteSize() <= ob || ob + b.byteSize() <= oa;
                Lifetime la = lives.get(a.id());
                Lifetime lb = lives.get(b.id());
                boolean together = g.hostVisible().contains(a) || g.hostVisible().contains(b)
                        || la.first() <= lb.last() && lb.first() <= la.last();
                if (together) {
                    assertThat(apart).as("%s and %s", a, b).isTrue();
                } else if (!apart) {
                    sharing++;
                }
            }
        }
        assertThat(sharing).as("pairs of tensors reusing each other's bytes").isPositive();
        assertThat(plan.layout().bytes()).isLessThan(ArenaLayout.sequential(g.graph()).bytes());
    }

    @Test
    void plannedArenaComputesExactlyWhatSeparateTensorsCompute() {
        Gpt2Config cfg = new Gpt2Config(2, 4, 64, 32, 97);
        int B = 2;
        int T = 32;
        try (Kernels kernels = CpuKernels.create(); Gpt2 model = Gpt2.create(cfg, kernels, 42)) {
            Gpt2TrainingGraph g = Gpt2TrainingGraph.build(cfg, B, T);
            float[] sequential = twoMicroBatches(kernels, model, g, ArenaLayout.sequential(g.graph()));
            float[] planned = twoMicroBatches(kernels, model, g, g.arenaPlan().layout());
            assertThat(planned).containsExactly(sequential);
        }
    }

    // Losses of two micro-batches followed by the accumulated gradients of all parameters.
    private static float[] twoMicroBatches(Kernels kernels, Gpt2 model, Gpt2TrainingGraph g, ArenaLayout layout) {
        int B = g.tokens().shape()[0];
        int T = g.tokens().shape()[1];
        int V = model.config().vocabSize();
        Map<TensorSpec, Tensor> external = new HashMap<>();
        for (Parameter p : model.parameters()) {
            TensorSpec s = g.parameters().get(p.name());
            external.put(s, p.value());
            external.put(g.gradients().get(s), p.grad());
        }
        kernels.fill(model.gradientBlock(), 0f);
        Random random = new Random(3);
        float[] out = new float[0];
        try (Executor ex = new Executor(g.graph(), kernels, external, layout); Arena arena = Arena.ofConfined()) {
            for (int micro = 0; micro < 2; micro++) {
                upload(kernels, arena, ex.tensor(g.tokens()), random.ints(B * T, 0, V).toArray());
                upload(kernels, arena, ex.tensor(g.targets()), random.ints(B * T, 0, V).toArray());
                ex.setScalar(g.scaleSlot(), 0.5f / (B * T));
                ex.run(0, g.graph().ops().size());
                out = concat(out, TestTensors.read(kernels, ex.tensor(g.losses())));
            }
        }
        return concat(out, TestTensors.read(kernels, model.gradientBlock()));
    }

    private static void upload(Kernels kernels, Arena arena, Tensor dst, int[] values) {
        MemorySegment host = arena.allocate(4L * values.length, 64);
        MemorySegment.copy(values, 0, host, ValueLayout.JAVA_INT, 0, values.length);
        kernels.upload(dst, Tensor.host(host, DType.INT32, dst.shape()));
    }

    private static float[] concat(float[] a, float[] b) {
        float[] all = Arrays.copyOf(a, a.length + b.length);
        System.arraycopy(b, 0, all, a.length, b.length);
        return all;
    }
}
