// Fused softmax + cross-entropy on the CPU: per row of logits, the loss, then the logits are
// overwritten in place with dlogits, in two parallel passes over the rows. Leaves out validation
// (CpuKernels checks shapes and target ids) and label smoothing / ignore-index.
package org.panatrain.kernels.cpu;

import static org.panatrain.kernels.cpu.Vec.F;
import static org.panatrain.kernels.cpu.Vec.I;
import static org.panatrain.kernels.cpu.Vec.L;
import static org.panatrain.kernels.cpu.Vec.S;

import java.lang.foreign.MemorySegment;
import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorOperators;

/** crossEntropy over losses (N), logits (N,V), targets (N) INT32. */
final class CpuCrossEntropy {
    private static final int GRAIN_ROWS = 4;

    private static final ThreadLocal<Call> CALLS = ThreadLocal.withInitial(Call::new);

    private CpuCrossEntropy() {
    }

    /** The operands of one call; one object per calling thread, reused call after call. */
    private static final class Call {
        private MemorySegment losses;
        private MemorySegment logits;
        private MemorySegment targets;
        private float dlossScale;
        private int V;
        private float[] sums = new float[0]; // (N) each row's sum of exp(l - max), from the first pass to the second

        void lossRows(int n0, int n1) {
            for (int n = n0; n < n1; n++) {
                sums[n] = loss(losses, logits, targets.getAtIndex(I, n), n, V);
            }
        }

        void gradientRows(int n0, int n1) {
            for (int n = n0; n < n1; n++) {
                gradient(logits, targets.getAtIndex(I, n), dlossScale, sums[n], n, V);
            }
        }
    }

    /*
     * Two passes over the rows, each its own parallel call: the losses (max, then exp(l - max)
     * stored back and summed), then the gradients (scale). In one method with Exp inlined, the
     * three row loops went over C2's inlining budget whenever C2 compiled the row before Exp
     * (PrintInlining: the scale's Vec.store failed with NodeCountInliningCutoff, and a vector was
     * boxed every iteration); each pass is compiled on its own.
     */
    static void run(Parallel par, MemorySegment losses, MemorySegment logits, MemorySegment targets, float dlossScale,
                    int N, int V) {
        Call call = CALLS.get();
        call.losses = losses;
        call.logits = logits;
        call.targets = targets;
        call.dlossScale = dlossScale;
        call.V = V;
        if (call.sums.length < N) {
            call.sums = new float[N];
        }
        try {
            par.forRange(N, GRAIN_ROWS, call, Call::lossRows);
            par.forRange(N, GRAIN_ROWS, call, Call::gradientRows);
        } finally {
            call.losses = call.logits = call.targets = null;
        }
    }

    /** Row n's loss; its logits become exp(l - max), whose sum it returns. */
    private static float loss(MemorySegment losses, MemorySegment logits, int target, int n, int V) {
        long row = (long) n * V;
        int vv = Vec.bound(V);
        FloatVector accMax = FloatVector.broadcast(S, Float.NEGATIVE_INFINITY);
        int i = 0;
        for (; i < vv; i += L) {
            accMax = accMax.max(Vec.load(logits, row + i));
        }
        float max = accMax.reduceLanes(VectorOperators.MAX);
        for (; i < V; i++) {
            max = Math.max(max, logits.getAtIndex(F, row + i));
        }
        float targetLogit = logits.getAtIndex(F, row + target);
        float sum = Exp.shiftedSum(logits, row, V, max);
        losses.setAtIndex(F, n, (float) (Math.log(sum) + max - targetLogit));
        return sum;
    }

    /** Row n's exps (sum {@code sum}) become dlogits: softmax - onehot, times dlossScale (0: none wanted). */
    private static void gradient(MemorySegment logits, int target, float dlossScale, float sum, int n, int V) {
        long row = (long) n * V;
        if (dlossScale == 0f) {
            Vec.fill(logits, row, V, 0f);
            return;
        }
        Vec.scale(logits, row, V, dlossScale / sum);
        logits.setAtIndex(F, row + target, logits.getAtIndex(F, row + target) - dlossScale);
    }
}
