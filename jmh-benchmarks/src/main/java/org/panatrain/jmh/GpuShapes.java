// The GEMM shapes the GPU benchmarks measure: the 8192^3 square product, and the four linear
// layers and the LM head of GPT-2 124M at B*T = 8 * 1024 rows (C = 768, 4C = 3072, V padded to
// 50304). Shared by the JMH benchmark and the check script's report. It leaves out attention.
package org.panatrain.jmh;

import java.util.List;

/** Named (M, N, K) shapes: out (M,N) = a (M,K) @ b (K,N). */
final class GpuShapes {
    record Shape(String name, int m, int n, int k) {
        double flops() {
            return 2.0 * m * n * k;
        }
    }

    static final List<Shape> ALL = List.of(
            new Shape("square-8192", 8192, 8192, 8192),
            new Shape("gpt2-qkv", 8192, 2304, 768),
            new Shape("gpt2-attn-proj", 8192, 768, 768),
            new Shape("gpt2-fc", 8192, 3072, 768),
            new Shape("gpt2-fc-proj", 8192, 768, 3072),
            new Shape("gpt2-lm-head", 8192, 50304, 768));

    static Shape named(String name) {
        return ALL.stream().filter(s -> s.name().equals(name)).findFirst()
                .orElseThrow(() -> new IllegalArgumentException("unknown shape " + name));
    }

    private GpuShapes() {
    }
}
