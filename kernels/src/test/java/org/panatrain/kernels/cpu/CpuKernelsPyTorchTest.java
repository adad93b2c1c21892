// The CPU ops against PyTorch autograd (float64) on the data that
// scripts/reference/kernel_reference.py committed under src/test/resources/reference. Leaves out
// ops PyTorch has no single counterpart for (encoder, fill/copy) and matmul.
package org.panatrain.kernels.cpu;

import static org.panatrain.kernels.cpu.TestTensors.RTOL;
import static org.panatrain.kernels.cpu.TestTensors.assertClose;

import java.util.List;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.panatrain.kernels.AdamWStep;
import org.panatrain.memory.Tensor;

class CpuKernelsPyTorchTest {
    private static CpuKernels k;

    @BeforeAll
    static void open() {
        k = CpuKernels.create(2);
    }

    @AfterAll
    static void close() {
        k.close();
    }

    /** A tensor holding reference array {@code name}. */
    private static Tensor tensor(TestTensors tt, ReferenceData ref, String name) {
        return tt.of(ref.values(name), ref.shape(name));
    }

    private static Tensor poisoned(TestTensors tt, ReferenceData ref, String name) {
        return tt.poisoned(ref.shape(name));
    }

    private static void check(ReferenceData ref, String name, Tensor got) {
        assertClose(ref.file() + " " + name, ref.values(name), got.toFloatArray(), RTOL);
    }

    @Test
    void layerNorm() {
        ReferenceData ref = ReferenceData.load("layernorm.bin");
        try (TestTensors tt = new TestTensors(0)) {
            Tensor inp = tensor(tt, ref, "inp"), weight = tensor(tt, ref, "weight");
            Tensor out = poisoned(tt, ref, "out"), mean = poisoned(tt, ref, "mean"), rstd = poisoned(tt, ref, "rstd");
            k.layerNormForward(out, mean, rstd, inp, weight, tensor(tt, ref, "bias"));
            check(ref, "out", out);
            check(ref, "mean", mean);
            check(ref, "rstd", rstd);
            Tensor dinp = tt.of(new float[(int) inp.numel()], inp.shape());
            Tensor dweight = tt.of(new float[(int) weight.numel()], weight.shape());
            Tensor dbias = tt.of(new float[(int) weight.numel()], weight.shape());
            k.layerNormBackward(dinp, dweight, dbias, tensor(tt, ref, "dout"), inp, weight, mean, rstd);
            check(ref, "dinp", dinp);
            check(ref, "dweight", dweight);
            check(ref, "dbias", dbias);
        }
    }

    @Test
    void gelu() {
        ReferenceData ref = ReferenceData.load("gelu.bin");
        try (TestTensors tt = new TestTensors(0)) {
            Tensor inp = tensor(tt, ref, "inp"), out = poisoned(tt, ref, "out");
            k.geluForward(out, inp);
            check(ref, "out", out);
            Tensor dinp = tt.of(new float[(int) inp.numel()], inp.shape());
            k.geluBackward(dinp, inp, tensor(tt, ref, "dout"));
            check(ref, "dinp", dinp);
        }
    }

    @Test
    void attention() {
        ReferenceData ref = ReferenceData.load("attention.bin");
        try (TestTensors tt = new TestTensors(0)) {
            int NH = (int) ref.scalar("numHeads");
            Tensor qkv = tensor(tt, ref, "qkv"), out = poisoned(tt, ref, "out"), att = poisoned(tt, ref, "att");
            k.attentionForward(out, att, qkv, NH);
            check(ref, "out", out);
            check(ref, "att", att);
            Tensor dqkv = tt.of(new float[(int) qkv.numel()], qkv.shape());
            k.attentionBackward(dqkv, poisoned(tt, ref, "att"), tensor(tt, ref, "dout"), qkv, att, NH);
            check(ref, "dqkv", dqkv);
        }
    }

    @Test
    void crossEntropy() {
        ReferenceData ref = ReferenceData.load("crossentropy.bin");
        try (TestTensors tt = new TestTensors(0)) {
            float[] t = ref.values("targets");
            int[] targets = new int[t.length];
            for (int i = 0; i < t.length; i++) {
                targets[i] = (int) t[i];
            }
            Tensor logits = tensor(tt, ref, "logits"), losses = poisoned(tt, ref, "losses");
            k.crossEntropy(losses, logits, tt.ints(targets, targets.length), ref.scalar("dlossScale"));
            check(ref, "losses", losses);
            assertClose(ref.file() + " dlogits", ref.values("dlogits"), logits.toFloatArray(), RTOL);
        }
    }

    @Test
    void adamWTwoSteps() {
        ReferenceData ref = ReferenceData.load("adamw.bin");
        try (TestTensors tt = new TestTensors(0)) {
            Tensor param = tensor(tt, ref, "param");
            Tensor m = tt.of(new float[(int) param.numel()], param.shape()), v = tt.of(new float[(int) param.numel()], param.shape());
            for (int step = 1; step <= 2; step++) {
                AdamWStep s = new AdamWStep(ref.scalar("lr"), ref.scalar("beta1"), ref.scalar("beta2"), ref.scalar("eps"),
                        ref.scalar("weightDecay"), step);
                k.adamW(param, tensor(tt, ref, "grad" + step), m, v, s);
                check(ref, "param" + step, param);
            }
            check(ref, "m2", m);
            check(ref, "v2", v);
        }
    }

    @Test
    void clipGradNorm() {
        ReferenceData ref = ReferenceData.load("clipgradnorm.bin");
        try (TestTensors tt = new TestTensors(0)) {
            Tensor a = tensor(tt, ref, "a"), b = tensor(tt, ref, "b"), sumSq = tt.poisoned(1);
            k.sumOfSquares(sumSq, List.of(a, b));
            float norm = ref.scalar("norm");
            assertClose(ref.file() + " norm^2", new double[] {(double) norm * norm}, sumSq.toFloatArray());
            k.clipByGlobalNorm(List.of(a, b), sumSq, ref.scalar("maxNorm"));
            check(ref, "clippedA", a);
            check(ref, "clippedB", b);
        }
    }
}
