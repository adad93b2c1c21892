// The CPU backend's FP32 matrix product, GotoBLAS/BLIS style: each worker takes a band of output
// rows (or columns), packs (KC x NC) panels of op(b) and (MC x KC) blocks of op(a) into scratch it
// keeps between calls, and sweeps MatmulMicroKernel's register tile over them. Leaves out other
// dtypes (FP32 only) and strided (non-contiguous) operands.
package org.panatrain.kernels.cpu;

import static org.panatrain.kernels.cpu.MatmulMicroKernel.L;
import static org.panatrain.kernels.cpu.MatmulMicroKernel.MR;
import static org.panatrain.kernels.cpu.MatmulMicroKernel.NR;
import static org.panatrain.kernels.cpu.MatmulMicroKernel.NR_VECTORS;
import static org.panatrain.kernels.cpu.MatmulMicroKernel.SPECIES;

import java.lang.foreign.MemorySegment;
import java.nio.ByteOrder;
import java.util.Arrays;
import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorMask;
import org.panatrain.memory.DType;
import org.panatrain.memory.Tensor;

/**
 * out (M,N) = op(a) @ op(b) [+ bias (N)] [+ out], FP32, where a is (M,K), or (K,M) when transA,
 * and b is (K,N), or (N,K) when transB; the {@code Kernels.matmul} contract. Every element is
 * summed in the same order whatever the thread count, so results are deterministic.
 *
 * <p>Knobs (system properties, read once): {@code panatrain.matmul.mc} (rows of op(a) per packed
 * block, default 192), {@code panatrain.matmul.kc} (depth per packed block, default 256),
 * {@code panatrain.matmul.nc} (columns of op(b) per packed panel, default 3072),
 * {@code panatrain.matmul.species} (vector width, see {@link MatmulMicroKernel}).
 * Scratch is one set of packing buffers per worker thread, allocated on its first call.
 *
 * <pre>{@code
 * try (Parallel pool = new Parallel(Parallel.defaultThreads())) {
 *     CpuMatmul.multiply(pool, out, x, false, w, false, bias, false);   // out (N,OC) = x (N,C) @ w (C,OC) + bias
 *     CpuMatmul.multiply(pool, dw, x, true, dout, false, null, true);   // dw (C,OC) += x^T @ dout
 * }
 * }</pre>
 */
public final class CpuMatmul {
    static final int MC = roundUp(Integer.getInteger("panatrain.matmul.mc", 192), MR);
    static final int KC = Math.max(1, Integer.getInteger("panatrain.matmul.kc", 256));
    static final int NC = roundUp(Integer.getInteger("panatrain.matmul.nc", 3072), NR);
    /** Below this many multiply-adds a product runs on the calling thread. */
    private static final long PARALLEL_MIN_MACS = 1L << 18;
    private static final ByteOrder ORDER = ByteOrder.nativeOrder();

    /** One worker's packing buffers and register-tile spill, reused by every call on that thread. */
    private static final class Scratch {
        final float[] a = new float[MC * KC];      // (MC, KC) as MC/MR micro-panels
        final float[] b = new float[KC * NC];      // (KC, NC) as NC/NR micro-panels
        final float[] tile = new float[MR * NR];   // (MR, NR)
    }

    private static final ThreadLocal<Scratch> SCRATCH = ThreadLocal.withInitial(Scratch::new);

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
        Product p = new Product(out.data(), n,
                transA ? new MatmulPacking(a.data(), 1, m) : new MatmulPacking(a.data(), k, 1),
                transB ? new MatmulPacking(b.data(), 1, k) : new MatmulPacking(b.data(), n, 1),
                k, bias == null ? null : bias.data(), accumulate);
        long macs = (long) m * n * Math.max(k, 1);
        int threads = macs < PARALLEL_MIN_MACS ? 1 : pool.threads();
        boolean splitRows = m >= n;
        int units = splitRows ? ceilDiv(m, MR) : ceilDiv(n, NR);
        int chunks = Math.min(threads, units);
        pool.forChunks(units, chunks, (c0, c1) -> {
            for (int c = c0; c < c1; c++) {
                int u0 = Parallel.chunkStart(units, chunks, c), u1 = Parallel.chunkStart(units, chunks, c + 1);
                if (splitRows) {
                    p.run(SCRATCH.get(), u0 * MR, Math.min(m, u1 * MR), 0, n);
                } else {
                    p.run(SCRATCH.get(), 0, m, u0 * NR, Math.min(n, u1 * NR));
                }
            }
        });
    }

    /** One product's operands; {@link #run} computes a rectangle of out. */
    private record Product(MemorySegment out, int n, MatmulPacking a, MatmulPacking b, int k,
                           MemorySegment bias, boolean accumulate) {

        /** out rows [m0, m1) x columns [n0, n1), packing with the given scratch. */
        void run(Scratch s, int m0, int m1, int n0, int n1) {
            for (int jc = n0; jc < n1; jc += NC) {
                int nc = Math.min(NC, n1 - jc);
                // pc runs once with kc = 0 when K is 0, so that out still gets its bias or zeros
                for (int pc = 0; pc == 0 || pc < k; pc += KC) {
                    int kc = Math.min(KC, k - pc);
                    b.packB(s.b, pc, kc, jc, nc);
                    boolean addOut = accumulate || pc > 0;
                    MemorySegment addBias = pc == 0 ? bias : null;
                    for (int ic = m0; ic < m1; ic += MC) {
                        int mc = Math.min(MC, m1 - ic);
                        a.packA(s.a, ic, mc, pc, kc);
                        for (int jr = 0; jr < nc; jr += NR) {
                            for (int ir = 0; ir < mc; ir += MR) {
                                MatmulMicroKernel.multiply(kc, s.a, ir * kc, s.b, jr * kc, s.tile);
                                store(s.tile, ic + ir, Math.min(MR, mc - ir), jc + jr, Math.min(NR, nc - jr),
                                        addOut, addBias);
                            }
                        }
                    }
                }
            }
        }

        /** out[i0 + r, j0 + j] = tile[r, j] [+ out] [+ bias[j0 + j]] for r < rows, j < cols. */
        private void store(float[] tile, int i0, int rows, int j0, int cols, boolean addOut, MemorySegment addBias) {
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
                    } else {
                        VectorMask<Float> mask = SPECIES.indexInRange(v * L, cols);
                        if (addOut) {
                            x = x.add(FloatVector.fromMemorySegment(SPECIES, out, at, ORDER, mask));
                        }
                        if (addBias != null) {
                            x = x.add(FloatVector.fromMemorySegment(SPECIES, addBias, biasAt, ORDER, mask));
                        }
                        x.intoMemorySegment(out, at, ORDER, mask);
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
        return Math.toIntExact(Tensor.numel(Arrays.copyOf(t.shape(), t.rank() - 1)));
    }

    private static int ceilDiv(int x, int y) {
        return (x + y - 1) / y;
    }

    private static int roundUp(int x, int multiple) {
        return Math.max(multiple, ceilDiv(x, multiple) * multiple);
    }
}
