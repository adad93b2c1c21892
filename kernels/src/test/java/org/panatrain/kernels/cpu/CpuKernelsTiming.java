// A rough per-op timing of the CPU backend at gpt2-mini shapes (B=8, T=256, C=384, NH=6, V=256),
// plus the measurement behind the kernels' choice of reading tensors straight from memory
// segments rather than copying rows into arrays. A main program, not a test (no assertions):
//   java --add-modules jdk.incubator.vector -cp memory/target/classes:kernels/target/classes:kernels/target/test-classes \
//       org.panatrain.kernels.cpu.CpuKernelsTiming [threads]
// Leaves out matmul (jmh-benchmarks) and statistics beyond a best-of-N.
package org.panatrain.kernels.cpu;

import java.lang.foreign.MemorySegment;
import java.util.List;
import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorOperators;
import org.panatrain.kernels.AdamWStep;
import org.panatrain.memory.Tensor;

final class CpuKernelsTiming {
    private static final int B = 8, T = 256, C = 384, NH = 6, V = 256, N = B * T;
    private static final int PARAMS = 6 * 12 * C * C + V * C + T * C;  // about gpt2-mini's parameter count

    private CpuKernelsTiming() {
    }

    public static void main(String[] args) {
        int threads = args.length > 0 ? Integer.parseInt(args[0]) : Parallel.defaultThreads();
        try (TestTensors tt = new TestTensors(1); CpuKernels k = CpuKernels.create(threads)) {
            System.out.printf("CPU kernels, %d threads, B=%d T=%d C=%d NH=%d V=%d; best of 20 calls%n", threads, B, T, C, NH, V);
            Tensor x = tt.random(1, N, C), y = tt.random(1, N, C), out = tt.random(1, N, C);
            Tensor mean = tt.random(1, N), rstd = tt.random(1, N), w = tt.random(1, C), b = tt.random(1, C);
            Tensor h = tt.random(2, N, 4 * C), h2 = tt.random(1, N, 4 * C), dh = tt.random(1, N, 4 * C);
            Tensor qkv = tt.random(1, B, T, 3 * C), dqkv = tt.random(1, B, T, 3 * C);
            Tensor att = tt.random(1, B, NH, T, T), scratch = tt.random(1, B, NH, T, T);
            Tensor logits = tt.random(4, N, V), losses = tt.random(1, N), targets = tt.ints(tt.tokens(N, V), N);
            Tensor tokens = tt.ints(tt.tokens(N, V), B, T), wte = tt.random(1, V, C), wpe = tt.random(1, T, C);
            Tensor p = tt.random(1, PARAMS), g = tt.random(1, PARAMS), m = tt.random(1, PARAMS), v = tt.random(1, PARAMS);
            Tensor one = tt.random(1, 1), dbias = tt.random(1, 4 * C);
            long nc = 4L * N * C, n4c = 4L * N * 4 * C;

            time("fill (" + PARAMS + ")", 4L * PARAMS, () -> k.fill(v, 0f));
            time("copy (" + PARAMS + ")", 8L * PARAMS, () -> k.copy(v, m));
            time("add (N,C)", 3 * nc, () -> k.add(out, x, y));
            time("accumulate (N,C)", 3 * nc, () -> k.accumulate(out, x));
            time("encoderForward", 3 * nc, () -> k.encoderForward(out, tokens, wte, wpe));
            time("encoderBackward", 3 * nc, () -> k.encoderBackward(wte, wpe, x, tokens));
            time("layerNormForward (N,C)", 2 * nc, () -> k.layerNormForward(out, mean, rstd, x, w, b));
            time("layerNormBackward (N,C)", 4 * nc, () -> k.layerNormBackward(out, w, b, y, x, w, mean, rstd));
            time("geluForward (N,4C)", 2 * n4c, () -> k.geluForward(h2, h));
            time("geluBackward (N,4C)", 4 * n4c, () -> k.geluBackward(h2, h, dh));
            time("biasBackward (N,4C)", n4c, () -> k.biasBackward(dbias, dh));
            time("attentionForward", 0, () -> k.attentionForward(out, att, qkv, NH));
            time("attentionBackward", 0, () -> k.attentionBackward(dqkv, scratch, out, qkv, att, NH));
            // Repeated calls see the previous call's dlogits as logits: same work, other values.
            time("crossEntropy (N,V)", 2 * 4L * N * V, () -> k.crossEntropy(losses, logits, targets, 1f / N));
            time("adamW (" + PARAMS + ")", 7 * 4L * PARAMS, () -> k.adamW(p, g, m, v, new AdamWStep(1e-4f, 0.9f, 0.95f, 1e-8f, 0.1f, 1)));
            time("sumOfSquares (" + PARAMS + ")", 4L * PARAMS, () -> k.sumOfSquares(one, List.of(g)));
            time("checkFinite (" + PARAMS + ")", 4L * PARAMS, () -> k.checkFinite(one, List.of(g)));
            segmentVersusArray(x, out);
        }
    }

    /**
     * Prints the best of 20 timed calls after 10 warm-up calls, with GB/s when bytes > 0.
     */
    private static void time(String what, long bytes, Runnable op) {
        for (int i = 0; i < 10; i++) {
            op.run();
        }
        long best = Long.MAX_VALUE;
        for (int i = 0; i < 20; i++) {
            long t0 = System.nanoTime();
            op.run();
            best = Math.min(best, System.nanoTime() - t0);
        }
        System.out.printf("%-28s %8.3f ms%s%n", what, best / 1e6,
                bytes > 0 ? String.format("  %6.1f GB/s", bytes / (double) best) : "");
    }

    /**
     * One thread, a layernorm-like row op (sum, then a subtraction written out) over (N,C): vector
     * loads straight from the segment versus a bulk copy of each row into an array, array loads,
     * and a bulk copy back. The two alternate call by call so that a busy machine slows both alike.
     */
    private static void segmentVersusArray(Tensor x, Tensor out) {
        MemorySegment in = x.data(), o = out.data();
        float[] buf = new float[C];
        Runnable segment = () -> {
            for (int n = 0; n < N; n++) {
                long row = (long) n * C;
                float mean = Vec.sum(in, row, C) / C;
                FloatVector m = FloatVector.broadcast(Vec.S, mean);
                for (int i = 0; i < C; i += Vec.L) {
                    Vec.store(Vec.load(in, row + i).sub(m), o, row + i);
                }
            }
        };
        Runnable array = () -> {
            for (int n = 0; n < N; n++) {
                long row = (long) n * C;
                Vec.copy(in, row, buf, 0, C);
                FloatVector acc = FloatVector.zero(Vec.S);
                for (int i = 0; i < C; i += Vec.L) {
                    acc = acc.add(FloatVector.fromArray(Vec.S, buf, i));
                }
                FloatVector m = FloatVector.broadcast(Vec.S, acc.reduceLanes(VectorOperators.ADD) / C);
                for (int i = 0; i < C; i += Vec.L) {
                    FloatVector.fromArray(Vec.S, buf, i).sub(m).intoArray(buf, i);
                }
                Vec.copy(buf, 0, o, row, C);
            }
        };
        long bestSegment = Long.MAX_VALUE, bestArray = Long.MAX_VALUE;
        for (int rep = 0; rep < 300; rep++) {
            long t0 = System.nanoTime();
            segment.run();
            long t1 = System.nanoTime();
            array.run();
            long t2 = System.nanoTime();
            if (rep >= 50) {
                bestSegment = Math.min(bestSegment, t1 - t0);
                bestArray = Math.min(bestArray, t2 - t1);
            }
        }
        System.out.printf("row op (N,C), 1 thread: segment loads %.3f ms, copy into array %.3f ms%n",
                bestSegment / 1e6, bestArray / 1e6);
    }
}
