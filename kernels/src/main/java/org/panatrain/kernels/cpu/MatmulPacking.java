// Packing for the CPU matmul: copies a block of op(a) or op(b) out of a tensor into the k-major,
// zero-padded micro-panel layout MatmulMicroKernel reads. Leaves out the blocking decisions
// (CpuMatmul) and the arithmetic (MatmulMicroKernel).
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
import jdk.incubator.vector.VectorShape;
import jdk.incubator.vector.VectorSpecies;

/**
 * A matrix read through strides: element (r, c) of the operand lies at float index
 * {@code r * rowStride + c * colStride} of {@code data}, so a transposed operand is the same
 * memory with the strides swapped.
 *
 * Mutable, so that a product reuses its two packings call after call instead of making new ones.
 * Partial micro-panels are copied element by element, not with masked vector loads: in these
 * large methods the JIT sometimes compiled a masked load without its intrinsic (the mask's class
 * not known where it is used), and the Vector API's fallback then allocates an array per load on
 * the worker threads (measured by JFR in packA: 2.4 to 33 MB a step of SteadyStateAllocationTest's model).
 *
 * <pre>{@code
 * MatmulPacking a = new MatmulPacking().set(x.data(), K, 1);    // op(a) = x (M,K)
 * a.packA(apack, i0, mc, p0, kc);                                // rows i0.., k p0..
 * }</pre>
 */
final class MatmulPacking {
    private static final ValueLayout.OfFloat F32 = ValueLayout.JAVA_FLOAT_UNALIGNED;
    private static final ByteOrder ORDER = ByteOrder.nativeOrder();
    /** Vectors of exactly MR floats: one k-slice of an A micro-panel. */
    private static final VectorSpecies<Float> MR_SPECIES = VectorSpecies.of(float.class, VectorShape.forBitSize(MR * Float.SIZE));

    private MemorySegment data;
    private long rowStride;
    private long colStride;

    /** Reads {@code data} with these strides from now on (null drops the last operand); returns this. */
    MatmulPacking set(MemorySegment data, long rowStride, long colStride) {
        this.data = data;
        this.rowStride = rowStride;
        this.colStride = colStride;
        return this;
    }

    /**
     * Packs op(a) rows [i0, i0+mc) x k [p0, p0+kc) as ceil(mc/MR) micro-panels of kc x MR floats:
     * element (i0 + ir + r, p0 + p) goes to dst[ir * kc + p * MR + r]; rows past mc are zero.
     */
    void packA(float[] dst, int i0, int mc, int p0, int kc) {
        MemorySegment data = this.data;   // loop-invariant locals (the fields change between products)
        long rowStride = this.rowStride, colStride = this.colStride;
        for (int ir = 0; ir < mc; ir += MR) {
            int rows = Math.min(MR, mc - ir);
            int base = ir * kc;
            if (rows < MR) {
                Arrays.fill(dst, base, base + kc * MR, 0f);
            }
            if (colStride == 1) {        // op(a) row-major: read each row along k
                for (int r = 0; r < rows; r++) {
                    long src = (long) (i0 + ir + r) * rowStride + p0;
                    for (int p = 0, d = base + r; p < kc; p++, d += MR) {
                        dst[d] = data.getAtIndex(F32, src + p);
                    }
                }
            } else if (rows == MR) {     // op(a) = a^T: one MR-float vector per k
                for (int p = 0; p < kc; p++) {
                    long src = ((p0 + p) * colStride + i0 + ir) * Float.BYTES;
                    FloatVector.fromMemorySegment(MR_SPECIES, data, src, ORDER).intoArray(dst, base + p * MR);
                }
            } else {                     // a^T's last rows: element by element (see the class comment on masks)
                for (int p = 0; p < kc; p++) {
                    long src = (p0 + p) * colStride + i0 + ir;
                    for (int r = 0, d = base + p * MR; r < rows; r++) {
                        dst[d + r] = data.getAtIndex(F32, src + r);
                    }
                }
            }
        }
    }

    /**
     * Packs op(b) k [p0, p0+kc) x columns [j0, j0+nc) as ceil(nc/NR) micro-panels of kc x NR floats:
     * element (p0 + p, j0 + jr + j) goes to dst[dstOffset + jr * kc + p * NR + j]; columns past nc are zero.
     */
    void packB(float[] dst, int dstOffset, int p0, int kc, int j0, int nc) {
        MemorySegment data = this.data;   // loop-invariant locals (the fields change between products)
        long rowStride = this.rowStride, colStride = this.colStride;
        for (int jr = 0; jr < nc; jr += NR) {
            int cols = Math.min(NR, nc - jr);
            int base = dstOffset + jr * kc;
            if (colStride == 1) {        // op(b) row-major: vector copies along each k row
                if (cols < NR) {
                    Arrays.fill(dst, base, base + kc * NR, 0f);
                }
                for (int p = 0; p < kc; p++) {
                    long src = ((p0 + p) * rowStride + j0 + jr) * Float.BYTES;
                    int d = base + p * NR;
                    if (cols == NR) {
                        for (int v = 0; v < NR_VECTORS; v++) {
                            FloatVector.fromMemorySegment(SPECIES, data, src + (long) v * L * Float.BYTES, ORDER)
                                    .intoArray(dst, d + v * L);
                        }
                    } else {             // the last columns: element by element (no branch in the loop:
                        long first = src / Float.BYTES;   // one there made C2 recompile packB over and over)
                        for (int j = 0; j < cols; j++) {
                            dst[d + j] = data.getAtIndex(F32, first + j);
                        }
                    }
                }
            } else {                     // op(b) = b^T: read each column along k
                if (cols < NR) {
                    Arrays.fill(dst, base, base + kc * NR, 0f);
                }
                for (int j = 0; j < cols; j++) {
                    long src = (long) (j0 + jr + j) * colStride + p0;
                    for (int p = 0, d = base + j; p < kc; p++, d += NR) {
                        dst[d] = data.getAtIndex(F32, src + p);
                    }
                }
            }
        }
    }
}
