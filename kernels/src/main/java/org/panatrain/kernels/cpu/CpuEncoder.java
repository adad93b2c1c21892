// Token + position embedding on the CPU, forward and backward. The backward is deterministic:
// threads own disjoint channel ranges of dwte/dwpe and add rows in token order, so no two threads
// touch one element and every sum has the same order whatever the thread count. Leaves out
// validation (CpuKernels checks shapes and token ids).
package org.panatrain.kernels.cpu;

import static org.panatrain.kernels.cpu.Vec.I;
import static org.panatrain.kernels.cpu.Vec.L;

import java.lang.foreign.MemorySegment;

/** encoder forward/backward over segments; tokens (B,T) INT32, wte (V,C), wpe (maxT,C). */
final class CpuEncoder {
    /** Rows per thread at least: a row is C floats, a few KiB. */
    private static final int GRAIN_ROWS = 16;
    /** Channels per backward work item: whole vectors so the inner loop has no tail but the last. */
    private static final int CHANNEL_BLOCK = 4 * L;

    private static final ThreadLocal<Call> CALLS = ThreadLocal.withInitial(Call::new);

    private CpuEncoder() {
    }

    /** The operands of one forward or backward; one object per calling thread, reused call after call. */
    private static final class Call {
        private MemorySegment act;    // forward: out; backward: dout
        private MemorySegment tokens;
        private MemorySegment wte;    // backward: dwte
        private MemorySegment wpe;    // backward: dwpe
        private int B;
        private int T;
        private int C;

        /** out rows [n0, n1) = wte[tokens[b,t]] + wpe[t]. */
        void forwardRows(int n0, int n1) {
            MemorySegment out = act, tokens = this.tokens, wte = this.wte, wpe = this.wpe;   // loop-invariant locals
            int T = this.T, C = this.C;
            for (int n = n0; n < n1; n++) {
                int token = tokens.getAtIndex(I, n);
                int t = n % T;
                Vec.add(out, (long) n * C, wte, (long) token * C, wpe, (long) t * C, C);
            }
        }

        /** dwte, dwpe += dout for the channels of blocks [k0, k1). */
        void backwardChannels(int k0, int k1) {
            MemorySegment dout = act, tokens = this.tokens, dwte = wte, dwpe = wpe;   // loop-invariant locals
            int B = this.B, T = this.T, C = this.C;
            int c0 = k0 * CHANNEL_BLOCK, c1 = Math.min(C, k1 * CHANNEL_BLOCK), width = c1 - c0;
            for (int n = 0; n < B * T; n++) {
                long src = (long) n * C + c0;
                long token = tokens.getAtIndex(I, n);
                Vec.accumulate(dwte, token * C + c0, dout, src, width);
                Vec.accumulate(dwpe, (long) (n % T) * C + c0, dout, src, width);
            }
        }

        Call set(MemorySegment act, MemorySegment tokens, MemorySegment wte, MemorySegment wpe, int B, int T, int C) {
            this.act = act;
            this.tokens = tokens;
            this.wte = wte;
            this.wpe = wpe;
            this.B = B;
            this.T = T;
            this.C = C;
            return this;
        }
    }

    /** out (B,T,C) = wte[tokens[b,t]] + wpe[t]. */
    static void forward(Parallel par, MemorySegment out, MemorySegment tokens, MemorySegment wte, MemorySegment wpe,
                        int B, int T, int C) {
        Call call = CALLS.get().set(out, tokens, wte, wpe, B, T, C);
        try {
            par.forRange(B * T, GRAIN_ROWS, call, Call::forwardRows);
        } finally {
            call.set(null, null, null, null, 0, 0, 0);
        }
    }

    /** dwte (V,C) += dout rows scattered by token; dwpe (maxT,C) += dout summed over b. */
    static void backward(Parallel par, MemorySegment dwte, MemorySegment dwpe, MemorySegment dout, MemorySegment tokens,
                         int B, int T, int C) {
        int blocks = (C + CHANNEL_BLOCK - 1) / CHANNEL_BLOCK;
        Call call = CALLS.get().set(dout, tokens, dwte, dwpe, B, T, C);
        try {
            par.forRange(blocks, 1, call, Call::backwardChannels);
        } finally {
            call.set(null, null, null, null, 0, 0, 0);
        }
    }
}
