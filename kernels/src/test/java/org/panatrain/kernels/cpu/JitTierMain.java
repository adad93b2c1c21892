// The child JVM of JitTierTest: runs the CPU kernels that take exp (GELU forward and backward,
// cross-entropy, attention) on fixed seeded inputs, `warm` times first, and writes the raw bits of
// their outputs to a file. Leaves out any comparison (the test does it).
package org.panatrain.kernels.cpu;

import java.io.DataOutputStream;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import org.panatrain.memory.Tensor;

public final class JitTierMain {
    private JitTierMain() {
    }

    /** args: output file, warm-up rounds. */
    public static void main(String[] args) throws IOException {
        int warm = Integer.parseInt(args[1]);
        try (CpuKernels k = CpuKernels.create(1); TestTensors tt = new TestTensors(11);
             DataOutputStream out = new DataOutputStream(Files.newOutputStream(Path.of(args[0])))) {
            int n = 3 * 1024 + 7;                                       // GELU: whole chunks and a tail
            Tensor x = tt.random(6, n), dout = tt.random(1, n), y = tt.random(1, n), dx = tt.random(1, n);
            int N = 3, V = 333;                                          // cross-entropy: a vector tail
            Tensor logits = tt.random(8, N, V), work = tt.random(1, N, V), losses = tt.random(1, N);
            Tensor targets = tt.ints(new int[] {0, 100, 332}, N);
            int B = 1, T = 13, C = 32, NH = 2;                           // attention: rows of odd length
            Tensor qkv = tt.random(2, B, T, 3 * C), att = tt.random(1, B, NH, T, T), o = tt.random(1, B, T, C);
            float[] dxStart = dx.toFloatArray();
            for (int round = 0; round <= warm; round++) {
                k.geluForward(y, x);
                dx.copyFrom(dxStart);
                k.geluBackward(dx, x, dout);
                k.copy(work, logits);
                k.crossEntropy(losses, work, targets, 1f / N);
                k.attentionForward(o, att, qkv, NH);
            }
            for (Tensor t : new Tensor[] {y, dx, losses, work, att, o}) {
                for (float f : t.toFloatArray()) {
                    out.writeInt(Float.floatToRawIntBits(f));
                }
            }
        }
    }
}
