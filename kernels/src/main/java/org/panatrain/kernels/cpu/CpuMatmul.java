// The CPU backend's FP32 matrix product, GotoBLAS/BLIS style: the workers pack a (KC x NC) panel
// of op(b) together, then take (MC x KC) blocks of op(a) (times a share of the panel's columns) as
// they come free, pack each into scratch they keep between calls, and sweep MatmulMicroKernel's
// register tile over it. Leaves out other dtypes (FP32 only) and strided (non-contiguous) operands.
package org.panatrain.kernels.cpu;

import static org.panatrain.kernels.cpu.MatmulMicroKernel.L;
import static org.panatrain.kernels.cpu.MatmulMicroKernel.MR;
import static org.panatrain.kernels.cpu.MatmulMicroKernel.NR;
import static org.panatrain.kernels.cpu.MatmulMicroKernel.NR_VECTORS;
import static org.panatrain.kernels.cpu.MatmulMicroKernel.SPECIES;

import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.ByteOrder;
import java.util.Arrays;
import jdk.incubator.vector.FloatVector;
import org.panatrain.memory.DType;
import org.panatrain.memory.Tensor;

/**
 * out (M,N) = op(a) @ op(b) [+ bias (N)] [+ out], FP32, where a is (M,K), or (K,M) when transA,
 * and b is (K,N), or (N,K) when transB; the {@code Kernels.matmul} contract. Every element is
 * summed in the same order whatever the thread count, so results are deterministic.
 *
 * <p>Knobs (system properties, read once): {@code panatrain.matmul.mc} (rows of op(a) per packed
 * block, default 96), {@code panatrain.matmul.kc} (most depth per packed block, default 768; K is
 * cut into equal blocks no deeper than that, so that out is read and written as few times as
 * possible), {@code panatrain.matmul.nc} (columns of op(b) per packed panel, default 3072),
 * {@code panatrain.matmul.species} (vector width, see {@link MatmulMicroKernel}).
 * Scratch is one set of packing buffers per thread, allocated on its first call; the calling
 * thread's op(b) buffer holds the panel all workers share.
 *
 * <pre>{@code
 * try (Parallel pool = new Parallel(Parallel.defaultThreads())) {
 *     CpuMatmul.multiply(pool, out, x, false, w, false, bias, false);   // out (N,OC) = x (N,C) @ w (C,OC) + bias
 *     CpuMatmul.multiply(pool, dw, x, true, dout, false, null, true);   // dw (C,OC) += x^T @ dout
 * }
 * }</pre>
 */
public final class CpuMatmul {
    static final int MC = roundUp(Integer.getInteger("panatrain.matmul.mc", 96), MR);
    static final int KC = Math.max(1, Integer.getInteger("panatrain.matmul.kc", 768));
    static final int NC = roundUp(Integer.getInteger("panatrain.matmul.nc", 3072), NR);
    /** Below this many multiply-adds a product runs on the calling thread. */
    private static final long PARALLEL_MIN_MACS = 1L << 18;
    private static final ByteOrder ORDER = ByteOrder.nativeOrder();
    private static final ValueLayout.OfFloat F32 = ValueLayout.JAVA_FLOAT_UNALIGNED;

    /** One thread's packing buffers and register-tile spill, reused by every call on that thread. */
    private static final class Scratch {
        final float[] a = new float[MC * KC];      // (MC, KC) as MC/MR micro-panels
        final float[] tile = new float[MR * NR];   // (MR, NR)
        float[] b;                                 // (KC, NC) as NC/NR micro-panels, shared by the workers
                                                   // of the products this thread starts; made on first use
        boolean bInUse;                            // b holds the panel of a product still running
        final Product product = new Product();     // the operands of the product this thread starts

        float[] panel() {
            if (b == null) {
                b = new float[KC * NC];
            }
            return b;
        }
    }

    private static final ThreadLocal<Scratch> SCRATCH = ThreadLocal.withInitial(Scratch::new);
    /** Runs small products on the calling thread (a one-thread Parallel owns no threads: never closed). */
    private static final Parallel SERIAL = new Parallel(1);

    private CpuMatmul() {
    }

    /** out (M,N) = op(a) @ op(b) [+ bias] [+ out]; see the class comment. bias may be null. */
    public static void multiply(Parallel pool, Tensor out, Tensor a, boolean transA, Tensor b, boolean transB,
                                Tensor bias, boolean accumulate) {
        int m = rows(out), n = out.dim(-1);
        int k = transA ? rows(a) : a.dim(-1);
        check(out, "out", (long) m * n);
        check(a, "a", (long) m * k);
        check(b, "b", (long) k * n);
        if ((transA ? a.dim(-1) : rows(a)) != m || (transB ? b.dim(-1) : rows(b)) != k
                || (transB ? rows(b) : b.dim(-1)) != n) {
            throw new IllegalArgumentException("matmul shapes do not agree: out " + Arrays.toString(out.shape())
                    + ", a " + Arrays.toString(a.shape()) + (transA ? "^T" : "") + ", b "
                    + Arrays.toString(b.shape()) + (transB ? "^T" : ""));
        }
        if (bias != null) {
            check(bias, "bias", n);
        }
        if (m == 0 || n == 0) {
            return;
        }
        long macs = (long) m * n * Math.max(k, 1);
        Scratch mine = SCRATCH.get();
        // a product started from inside another one's task on this thread gets a panel of its own
        boolean owner = !mine.bInUse;
        float[] panel = owner ? mine.panel() : new float[KC * NC];
        Product p = owner ? mine.product : new Product();
        p.set(out.data(), n, k, bias == null ? null : bias.data(), accumulate);
        if (transA) {
            p.a.set(a.data(), 1, m);
        } else {
            p.a.set(a.data(), k, 1);
        }
        if (transB) {
            p.b.set(b.data(), 1, k);
        } else {
            p.b.set(b.data(), n, 1);
        }
        mine.bInUse = true;
        try {
            p.run(macs < PARALLEL_MIN_MACS ? SERIAL : pool, panel, m);
        } finally {
            mine.bInUse = !owner;
            p.set(null, 0, 0, null, false);
            p.a.set(null, 0, 0);
            p.b.set(null, 0, 0);
        }
    }

    /**
     * One product's operands and the panel being computed; {@link #run} computes it. Mutable and
     * reused (one per thread that starts products), so that handing its loops to the workers
     * allocates nothing: they run {@link #packPanels} and {@link #multiplyTasks} on this object.
     */
    private static final class Product {
        final MatmulPacking a = new MatmulPacking();
        final MatmulPacking b = new MatmulPacking();
        private MemorySegment out;
        private int n;
        private int k;
        private MemorySegment bias;
        private boolean accumulate;
        // the (KC x NC) panel of op(b) being computed: depth [p0, p0+kc), columns [j0, j0+nc)
        private float[] panel;
        private int m;
        private int blocks;
        private int shares;
        private int panels;
        private int p0;
        private int kc;
        private int j0;
        private int nc;

        void set(MemorySegment out, int n, int k, MemorySegment bias, boolean accumulate) {
            this.out = out;
            this.n = n;
            this.k = k;
            this.bias = bias;
            this.accumulate = accumulate;
        }

        /**
         * All m rows of out: for each (KC x NC) panel of op(b), the workers pack it into {@code panel}
         * together, then run tasks of (MC row block x share of the panel's micro-panels).
         */
        void run(Parallel workers, float[] panel, int m) {
            this.panel = panel;
            this.m = m;
            blocks = ceilDiv(m, MC);
            int depth = Math.max(1, ceilDiv(k, Math.max(1, ceilDiv(k, KC))));   // equal K blocks of at most KC (1 when K is 0)
            try {
                for (j0 = 0; j0 < n; j0 += NC) {
                    nc = Math.min(NC, n - j0);
                    panels = ceilDiv(nc, NR);
                    // column shares per row block: enough tasks for 4 per thread, so that workers balance
                    shares = Math.min(panels, ceilDiv(4 * workers.threads(), blocks));
                    // p0 runs once with kc = 0 when K is 0, so that out still gets its bias or zeros
                    for (p0 = 0; p0 == 0 || p0 < k; p0 += depth) {
                        kc = Math.min(depth, k - p0);
                        workers.forRange(panels, 1, this, Product::packPanels);
                        workers.forRange(blocks * shares, 1, this, Product::multiplyTasks);
                    }
                }
            } finally {
                this.panel = null;
            }
        }

        /** Packs micro-panels [q0, q1) of the current panel of op(b). */
        private void packPanels(int q0, int q1) {
            b.packB(panel, q0 * NR * kc, p0, kc, j0 + q0 * NR, Math.min(nc, q1 * NR) - q0 * NR);
        }

        /** Tasks [t0, t1) of the current panel: task t is share t % shares of row block t / shares. */
        private void multiplyTasks(int t0, int t1) {
            // locals, not fields, in the loops: loop-invariant for the JIT, as a lambda's captures were
            float[] panel = this.panel;
            int m = this.m, shares = this.shares, panels = this.panels, p0 = this.p0, kc = this.kc, j0 = this.j0, nc = this.nc;
            boolean addOut = accumulate || p0 > 0;
            MemorySegment addBias = p0 == 0 ? bias : null;
            Scratch s = SCRATCH.get();
            for (int t = t0; t < t1; t++) {
                int block = t / shares, share = t % shares;
                int ic = block * MC, mc = Math.min(MC, m - ic);
                int jr0 = Parallel.chunkStart(panels, shares, share) * NR;
                int jr1 = Math.min(nc, Parallel.chunkStart(panels, shares, share + 1) * NR);
                if (t == t0 || share == 0) {   // the shares of a block are consecutive tasks
                    a.packA(s.a, ic, mc, p0, kc);
                }
                for (int jr = jr0; jr < jr1; jr += NR) {
                    for (int ir = 0; ir < mc; ir += MR) {
                        MatmulMicroKernel.multiply(kc, s.a, ir * kc, panel, jr * kc, s.tile);
                        store(s.tile, ic + ir, Math.min(MR, mc - ir), j0 + jr, Math.min(NR, nc - jr), addOut, addBias);
                    }
                }
            }
        }

        /** out[i0 + r, j0 + j] = tile[r, j] [+ out] [+ bias[j0 + j]] for r < rows, j < cols. */
        private void store(float[] tile, int i0, int rows, int j0, int cols, boolean addOut, MemorySegment addBias) {
            MemorySegment out = this.out;   // loop-invariant locals
            int n = this.n;
            for (int r = 0; r < rows; r++) {
                long rowByte = ((long) (i0 + r) * n + j0) * Float.BYTES;
                for (int v = 0; v < NR_VECTORS && v * L < cols; v++) {
                    long at = rowByte + (long) v * L * Float.BYTES;
                    long biasAt = (long) (j0 + v * L) * Float.BYTES;
                    FloatVector x = FloatVector.fromArray(SPECIES, tile, r * NR + v * L);
                    if (v * L + L <= cols) {
                        if (addOut) {
                            x = x.add(FloatVector.fromMemorySegment(SPECIES, out, at, ORDER));
                        }
                        if (addBias != null) {
                            x = x.add(FloatVector.fromMemorySegment(SPECIES, addBias, biasAt, ORDER));
                        }
                        x.intoMemorySegment(out, at, ORDER);
                    } else {   // the last columns: element by element (no masked vectors: see MatmulPacking)
                        for (int j = v * L; j < cols; j++) {
                            long atJ = rowByte + (long) j * Float.BYTES;
                            float y = tile[r * NR + j];
                            if (addOut) {
                                y += out.get(F32, atJ);
                            }
                            if (addBias != null) {
                                y += addBias.get(F32, (long) (j0 + j) * Float.BYTES);
                            }
                            out.set(F32, atJ, y);
                        }
                    }
                }
            }
        }
    }

    private static void check(Tensor t, String name, long elements) {
        if (t.dtype() != DType.FP32 || t.location() != Tensor.Location.HOST) {
            throw new IllegalArgumentException("matmul needs host FP32 tensors, " + name + " is " + t);
        }
        if (t.numel() != elements) {
            throw new IllegalArgumentException("matmul: " + name + " " + t + " should hold " + elements + " elements");
        }
    }

    /** Product of all dimensions but the last (unlike Tensor.rows(), right when the last is 0). */
    private static int rows(Tensor t) {
        long rows = 1;
        for (int i = 0; i < t.rank() - 1; i++) {
            rows *= t.dim(i);   // no shape() copy: the step's hot path allocates nothing here
        }
        return Math.toIntExact(rows);
    }

    private static int ceilDiv(int x, int y) {
        return (x + y - 1) / y;
    }

    private static int roundUp(int x, int multiple) {
        return Math.max(multiple, ceilDiv(x, multiple) * multiple);
    }
}
