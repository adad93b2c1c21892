// Fused softmax + cross-entropy on the CPU: per row of logits, the loss, then the logits are
// overwritten in place with dlogits. Rows are spread over the threads. Leaves out validation
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

        void rows(int n0, int n1) {
            for (int n = n0; n < n1; n++) {
                row(losses, logits, targets.getAtIndex(I, n), dlossScale, n, V);
            }
        }
    }

    static void run(Parallel par, MemorySegment losses, MemorySegment logits, MemorySegment targets, float dlossScale,
                    int N, int V) {
        Call call = CALLS.get();
        call.losses = losses;
        call.logits = logits;
        call.targets = targets;
        call.dlossScale = dlossScale;
        call.V = V;
        try {
            par.forRange(N, GRAIN_ROWS, call, Call::rows);
        } finally {
            call.losses = call.logits = call.targets = null;
        }
    }

    /** Three passes over the row (it stays in L1): max; exp(l - max) stored back and summed; scale. */
    private static void row(MemorySegment losses, MemorySegment logits, int target, float dlossScale, int n, int V) {
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
        if (dlossScale == 0f) {
            float sum = Exp.shiftedSum(logits, row, V, max);   // the logits become exp(l - max)
            losses.setAtIndex(F, n, (float) (Math.log(sum) + max - targetLogit));
            Vec.fill(logits, row, V, 0f);
            return;
        }
        float sum = Exp.shiftedSum(logits, row, V, max);
        losses.setAtIndex(F, n, (float) (Math.log(sum) + max - targetLogit));
        Vec.scale(logits, row, V, dlossScale / sum);
        logits.setAtIndex(F, row + target, logits.getAtIndex(F, row + target) - dlossScale);
    }
}
