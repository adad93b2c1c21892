// The executor on a small hand-built graph: arena placement (aligned, disjoint, one allocation),
// external bindings, and results against float64 math written here. Gradients are covered by the
// GPT-2 reference test.
package org.panatrain.engine.graph;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.panatrain.engine.model.CpuBackend;
import org.panatrain.engine.model.TestTensors;
import org.panatrain.memory.DType;
import org.panatrain.memory.HostArena;
import org.panatrain.memory.Tensor;

class ExecutorTest {
    static final int N = 3;
    static final int C = 5;
    @RegisterExtension
    static final CpuBackend CPU = new CpuBackend();

    // y = gelu(x @ w) + x, with x (N,C) an activation and w (C,C) a bound parameter; "unused" is
    // touched by no op and gets no memory.
    @Test
    void runsOpsOnArenaViewsAndBoundTensors() {
        Graph g = new Graph();
        TensorSpec x = g.tensor("x", Category.ACTIVATION, DType.FP32, N, C);
        TensorSpec w = g.tensor("w", Category.PARAMETER, DType.FP32, C, C);
        TensorSpec h = g.tensor("h", Category.ACTIVATION, DType.FP32, N, C);
        TensorSpec a = g.tensor("a", Category.ACTIVATION, DType.FP32, N, C);
        TensorSpec y = g.tensor("y", Category.ACTIVATION, DType.FP32, N, C);
        TensorSpec unused = g.tensor("unused", Category.ACTIVATION, DType.FP32, 1000);
        g.add(new Op.Matmul(h, x, false, w, false, null, false));
        g.add(new Op.Gelu(a, h));
        g.add(new Op.Add(y, a, x));
        try (HostArena host = new HostArena()) {
            Tensor wt = host.allocate(DType.FP32, C, C);
            float[] wv = values(C * C, 0.3f);
            wt.copyFrom(wv);
            try (Executor ex = new Executor(g, CPU.kernels(), Map.of(w, wt))) {
                float[] xv = values(N * C, 0.7f);
                TestTensors.write(CPU.kernels(), ex.tensor(x), xv);
                ex.run(0, g.ops().size());
                float[] expected = new float[N * C];
                for (int n = 0; n < N; n++) {
                    for (int o = 0; o < C; o++) {
                        double s = 0;
                        for (int i = 0; i < C; i++) {
                            s += (double) xv[n * C + i] * wv[i * C + o];
                        }
                        double gelu = 0.5 * s * (1 + Math.tanh(Math.sqrt(2 / Math.PI) * (s + 0.044715 * s * s * s)));
                        expected[n * C + o] = (float) (gelu + xv[n * C + o]);
                    }
                }
                assertThat(TestTensors.relativeError(TestTensors.read(CPU.kernels(), ex.tensor(y)), expected)).isLessThanOrEqualTo(1e-6);
                assertThat(ex.tensor(w).data().address()).isEqualTo(wt.data().address());
                assertThatThrownBy(() -> ex.tensor(unused)).isInstanceOf(IllegalArgumentException.class);

                List<Tensor> placed = new ArrayList<>();
                long bytes = 0;
                for (TensorSpec s : List.of(x, h, a, y)) {
                    Tensor t = ex.tensor(s);
                    assertThat(t.data().address() % HostArena.ALIGNMENT).as(s.name()).isZero();
                    assertThat(t.shape()).isEqualTo(s.shape());
                    placed.add(t);
                    bytes += s.byteSize();
                }
                for (Tensor p : placed) {
                    for (Tensor q : placed) {
                        boolean disjoint = p.data().address() + p.byteSize() <= q.data().address()
                                || q.data().address() + q.byteSize() <= p.data().address();
                        assertThat(p == q || disjoint).isTrue();
                    }
                }
                assertThat(ex.arenaBytes()).isBetween(bytes, bytes + placed.size() * HostArena.ALIGNMENT);
            }
        }
    }

    @Test
    void refusesAMissingOrMismatchedBindingAndAnOutOfBoundsLayout() {
        Graph g = new Graph();
        TensorSpec w = g.tensor("w", Category.PARAMETER, DType.FP32, C, C);
        TensorSpec x = g.tensor("x", Category.ACTIVATION, DType.FP32, N, C);
        TensorSpec h = g.tensor("h", Category.ACTIVATION, DType.FP32, N, C);
        g.add(new Op.Matmul(h, x, false, w, false, null, false));
        assertThatThrownBy(() -> new Executor(g, CPU.kernels(), Map.of()))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("no tensor bound to w");
        try (HostArena host = new HostArena()) {
            Tensor wrong = host.allocate(DType.FP32, C, C + 1);
            assertThatThrownBy(() -> new Executor(g, CPU.kernels(), Map.of(w, wrong)))
                    .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("cannot be bound");
            Tensor right = host.allocate(DType.FP32, C, C);
            ArenaLayout sequential = ArenaLayout.sequential(g);
            long[] offsets = sequential.offsets();
            offsets[h.id()] = sequential.bytes();   // past the end of the arena
            assertThatThrownBy(() -> new Executor(g, CPU.kernels(), Map.of(w, right), new ArenaLayout(offsets, sequential.bytes())))
                    .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("layout places h");
        }
    }

    private static float[] values(int n, float scale) {
        float[] v = new float[n];
        for (int i = 0; i < n; i++) {
            v[i] = scale * (float) Math.sin(1.7 * i + 0.3);
        }
        return v;
    }
}
