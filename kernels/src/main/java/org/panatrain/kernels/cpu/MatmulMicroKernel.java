// The register tile of the CPU matmul: an MR x NR block of out computed from one packed micro-panel
// of op(a) (kc x MR, k-major) and one of op(b) (kc x NR, k-major) with fused multiply-adds held in
// vector registers. Leaves out packing, blocking, threads, bias and edges (see CpuMatmul, MatmulPacking).
package org.panatrain.kernels.cpu;

import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorSpecies;

/**
 * Computes tile (MR, NR) = apanel (kc, MR)^T @ bpanel (kc, NR) from packed, zero-padded panels.
 * The vector width comes from {@code -Dpanatrain.matmul.species=preferred|128|256|512}; NR is
 * {@link #NR_VECTORS} vectors of that width. The loop over k is written out by hand as MR x 3
 * independent accumulators so that C2 keeps them all in registers (24 of AVX-512's 32).
 *
 * <pre>{@code
 * float[] tile = new float[MatmulMicroKernel.MR * MatmulMicroKernel.NR];
 * MatmulMicroKernel.multiply(kc, apack, 0, bpack, 0, tile);   // tile = sum over p of a(p,:)^T b(p,:)
 * }</pre>
 */
final class MatmulMicroKernel {
    /** Vector species of the kernel (and of the packing and merge code that feeds it). */
    static final VectorSpecies<Float> SPECIES = speciesFromProperty(System.getProperty("panatrain.matmul.species", "preferred"));
    /** Floats per vector. */
    static final int L = SPECIES.length();
    /** Rows of the register tile. */
    static final int MR = 8;
    /** Vectors across a row of the register tile. */
    static final int NR_VECTORS = 3;
    /** Columns of the register tile. */
    static final int NR = NR_VECTORS * L;

    private MatmulMicroKernel() {
    }

    static VectorSpecies<Float> speciesFromProperty(String value) {
        return switch (value) {
            case "preferred" -> FloatVector.SPECIES_PREFERRED;
            case "128" -> FloatVector.SPECIES_128;
            case "256" -> FloatVector.SPECIES_256;
            case "512" -> FloatVector.SPECIES_512;
            default -> throw new IllegalArgumentException(
                    "panatrain.matmul.species must be preferred, 128, 256 or 512, got '" + value + "'");
        };
    }

    /**
     * tile (MR, NR) = sum over p < kc of a[aOff + p*MR + r] * b[bOff + p*NR + j], overwriting tile.
     * a holds kc x MR floats from aOff, b kc x NR floats from bOff.
     */
    static void multiply(int kc, float[] a, int aOff, float[] b, int bOff, float[] tile) {
        FloatVector z = FloatVector.zero(SPECIES);
        FloatVector c00 = z, c01 = z, c02 = z, c10 = z, c11 = z, c12 = z;
        FloatVector c20 = z, c21 = z, c22 = z, c30 = z, c31 = z, c32 = z;
        FloatVector c40 = z, c41 = z, c42 = z, c50 = z, c51 = z, c52 = z;
        FloatVector c60 = z, c61 = z, c62 = z, c70 = z, c71 = z, c72 = z;
        for (int p = 0; p < kc; p++) {
            int bi = bOff + p * NR;
            int ai = aOff + p * MR;
            FloatVector b0 = FloatVector.fromArray(SPECIES, b, bi);
            FloatVector b1 = FloatVector.fromArray(SPECIES, b, bi + L);
            FloatVector b2 = FloatVector.fromArray(SPECIES, b, bi + 2 * L);
            FloatVector av = FloatVector.broadcast(SPECIES, a[ai]);
            c00 = av.fma(b0, c00); c01 = av.fma(b1, c01); c02 = av.fma(b2, c02);
            av = FloatVector.broadcast(SPECIES, a[ai + 1]);
            c10 = av.fma(b0, c10); c11 = av.fma(b1, c11); c12 = av.fma(b2, c12);
            av = FloatVector.broadcast(SPECIES, a[ai + 2]);
            c20 = av.fma(b0, c20); c21 = av.fma(b1, c21); c22 = av.fma(b2, c22);
            av = FloatVector.broadcast(SPECIES, a[ai + 3]);
            c30 = av.fma(b0, c30); c31 = av.fma(b1, c31); c32 = av.fma(b2, c32);
            av = FloatVector.broadcast(SPECIES, a[ai + 4]);
            c40 = av.fma(b0, c40); c41 = av.fma(b1, c41); c42 = av.fma(b2, c42);
            av = FloatVector.broadcast(SPECIES, a[ai + 5]);
            c50 = av.fma(b0, c50); c51 = av.fma(b1, c51); c52 = av.fma(b2, c52);
            av = FloatVector.broadcast(SPECIES, a[ai + 6]);
            c60 = av.fma(b0, c60); c61 = av.fma(b1, c61); c62 = av.fma(b2, c62);
            av = FloatVector.broadcast(SPECIES, a[ai + 7]);
            c70 = av.fma(b0, c70); c71 = av.fma(b1, c71); c72 = av.fma(b2, c72);
        }
        // stores written out: a helper taking vectors as arguments is not inlined and boxes them
        c00.intoArray(tile, 0 * NR + 0 * L); c01.intoArray(tile, 0 * NR + 1 * L); c02.intoArray(tile, 0 * NR + 2 * L);
        c10.intoArray(tile, 1 * NR + 0 * L); c11.intoArray(tile, 1 * NR + 1 * L); c12.intoArray(tile, 1 * NR + 2 * L);
        c20.intoArray(tile, 2 * NR + 0 * L); c21.intoArray(tile, 2 * NR + 1 * L); c22.intoArray(tile, 2 * NR + 2 * L);
        c30.intoArray(tile, 3 * NR + 0 * L); c31.intoArray(tile, 3 * NR + 1 * L); c32.intoArray(tile, 3 * NR + 2 * L);
        c40.intoArray(tile, 4 * NR + 0 * L); c41.intoArray(tile, 4 * NR + 1 * L); c42.intoArray(tile, 4 * NR + 2 * L);
        c50.intoArray(tile, 5 * NR + 0 * L); c51.intoArray(tile, 5 * NR + 1 * L); c52.intoArray(tile, 5 * NR + 2 * L);
        c60.intoArray(tile, 6 * NR + 0 * L); c61.intoArray(tile, 6 * NR + 1 * L); c62.intoArray(tile, 6 * NR + 2 * L);
        c70.intoArray(tile, 7 * NR + 0 * L); c71.intoArray(tile, 7 * NR + 1 * L); c72.intoArray(tile, 7 * NR + 2 * L);
    }
}
