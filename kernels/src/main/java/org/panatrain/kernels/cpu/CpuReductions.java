// Reductions on the CPU: bias gradient (column sums), the sum of squares over many tensors
// (gradient norm), the non-finite check, alone or fused with loss scaling's unscale. All are deterministic: the sum of squares splits every
// tensor into fixed CHUNK-element pieces whose double partials are added in piece order, and
// column sums run down the rows in order; thread count never changes a bit of the result.
// Leaves out validation (CpuKernels).
package org.panatrain.kernels.cpu;

import static org.panatrain.kernels.cpu.Vec.F;
import static org.panatrain.kernels.cpu.Vec.L;
import static org.panatrain.kernels.cpu.Vec.NATIVE;

import java.lang.foreign.MemorySegment;
import java.util.List;
import jdk.incubator.vector.DoubleVector;
import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorOperators;
import jdk.incubator.vector.VectorShape;
import jdk.incubator.vector.VectorSpecies;
import org.panatrain.memory.Tensor;

/** biasBackward, sumOfSquares and checkFinite kernels; one instance holds the partial-sum scratch. */
final class CpuReductions {
    /** Elements per fixed piece of the sum of squares. */
    static final int CHUNK = 1 << 14;
    private static final VectorSpecies<Double> DS = DoubleVector.SPECIES_PREFERRED;
    /** Floats that widen to one double vector (8 floats -> 8 doubles with AVX-512). */
    private static final VectorSpecies<Float> FH = VectorSpecies.of(float.class, VectorShape.forBitSize(DS.vectorBitSize() / 2));
    private static final int DL = DS.length();
    private static final ThreadLocal<double[]> LANES = ThreadLocal.withInitial(() -> new double[DL]);

    /** The per-piece reductions of seg[start, end) to a double. */
    private enum PieceReduction { SQUARES, TIMES_ZERO, SCALED_TIMES_ZERO }

    private final Parallel par;
    private int[] firstPiece = new int[0];      // (tensors + 1) piece index where each tensor starts
    private double[] partials = new double[0];  // (pieces)
    // operands of the current call, read by the workers (this object is the body's target)
    private MemorySegment dbias;
    private MemorySegment dout;
    private int N;
    private int OC;
    private List<Tensor> tensors;
    private PieceReduction reduction;
    private float factor;

    CpuReductions(Parallel par) {
        this.par = par;
    }

    /** dbias (OC) += column sums of dout (N,OC), one vector of columns per work item, rows in order. */
    void biasBackward(MemorySegment dbias, MemorySegment dout, int N, int OC) {
        int vectors = OC / L;
        this.dbias = dbias;
        this.dout = dout;
        this.N = N;
        this.OC = OC;
        try {
            par.forRange(vectors, 4, this, CpuReductions::biasColumns);
        } finally {
            this.dbias = this.dout = null;
        }
        for (int c = vectors * L; c < OC; c++) {
            float s = 0f;
            for (int n = 0; n < N; n++) {
                s += dout.getAtIndex(F, (long) n * OC + c);
            }
            dbias.setAtIndex(F, c, dbias.getAtIndex(F, c) + s);
        }
    }

    /** biasBackward's column vectors [j0, j1). */
    private void biasColumns(int j0, int j1) {
        MemorySegment dbias = this.dbias, dout = this.dout;   // loop-invariant locals
        int N = this.N, OC = this.OC;
        for (int j = j0; j < j1; j++) {
            long col = (long) j * L;
            FloatVector acc0 = FloatVector.zero(Vec.S), acc1 = FloatVector.zero(Vec.S);
            int n = 0;
            for (; n + 1 < N; n += 2) {
                acc0 = acc0.add(Vec.load(dout, (long) n * OC + col));
                acc1 = acc1.add(Vec.load(dout, (long) (n + 1) * OC + col));
            }
            if (n < N) {
                acc0 = acc0.add(Vec.load(dout, (long) n * OC + col));
            }
            Vec.store(Vec.load(dbias, col).add(acc0.add(acc1)), dbias, col);
        }
    }

    /** Sum of squares of every element of every tensor, in double, as fixed pieces reduced in order. */
    double sumOfSquares(List<Tensor> tensors) {
        return reducePieces(tensors, PieceReduction.SQUARES, 1f);
    }

    /** True if any element is NaN or infinite: x * 0 is 0 for finite x and NaN otherwise. */
    boolean anyNonFinite(List<Tensor> tensors) {
        return Double.isNaN(reducePieces(tensors, PieceReduction.TIMES_ZERO, 1f));
    }

    /** Multiplies every element by {@code factor} in place; true when some element was NaN or infinite before. */
    boolean scaleAndFindNonFinite(List<Tensor> tensors, float factor) {
        return Double.isNaN(reducePieces(tensors, PieceReduction.SCALED_TIMES_ZERO, factor));
    }

    private double reducePieces(List<Tensor> tensors, PieceReduction reduction, float factor) {
        int count = tensors.size();
        if (firstPiece.length < count + 1) {
            firstPiece = new int[count + 1];
        }
        for (int i = 0; i < count; i++) {
            firstPiece[i + 1] = Math.addExact(firstPiece[i], Math.toIntExact((tensors.get(i).numel() + CHUNK - 1) / CHUNK));
        }
        int pieces = firstPiece[count];
        if (partials.length < pieces) {
            partials = new double[pieces];
        }
        this.tensors = tensors;
        this.reduction = reduction;
        this.factor = factor;
        try {
            par.forRange(pieces, 4, this, CpuReductions::reducePieceRange);
        } finally {
            this.tensors = null;
        }
        double total = 0;
        for (int p = 0; p < pieces; p++) {
            total += partials[p];
        }
        return total;
    }

    /** partials[p] for the pieces [p0, p1) of the current reducePieces call. */
    private void reducePieceRange(int p0, int p1) {
        int t = 0;
        for (int p = p0; p < p1; p++) {
            while (p >= firstPiece[t + 1]) {
                t++;
            }
            Tensor tensor = tensors.get(t);
            long start = (long) (p - firstPiece[t]) * CHUNK;
            long end = Math.min(tensor.numel(), start + CHUNK);
            partials[p] = switch (reduction) {
                case SQUARES -> squares(tensor.data(), start, end);
                case TIMES_ZERO -> timesZero(tensor.data(), start, end);
                case SCALED_TIMES_ZERO -> scaledTimesZero(tensor.data(), start, end, factor);
            };
        }
    }

    private static double squares(MemorySegment seg, long i, long end) {
        DoubleVector acc0 = DoubleVector.zero(DS), acc1 = DoubleVector.zero(DS);
        for (; i + 2 * DL <= end; i += 2 * DL) {
            DoubleVector a = widen(seg, i), b = widen(seg, i + DL);
            acc0 = a.fma(a, acc0);
            acc1 = b.fma(b, acc1);
        }
        double s = sumLanes(acc0.add(acc1));
        for (; i < end; i++) {
            double x = seg.getAtIndex(F, i);
            s += x * x;
        }
        return s;
    }

    /** v's lanes added in lane order, the same bits at every JIT tier (see Vec.sumLanes). */
    private static double sumLanes(DoubleVector v) {
        double[] lanes = LANES.get();
        v.intoArray(lanes, 0);
        double s = 0;
        for (double x : lanes) {
            s += x;
        }
        return s;
    }

    private static DoubleVector widen(MemorySegment seg, long i) {
        return (DoubleVector) FloatVector.fromMemorySegment(FH, seg, i * 4, NATIVE).convertShape(VectorOperators.F2D, DS, 0);
    }

    /** {@link #timesZero} of the piece, storing each value times {@code factor} in the same pass. */
    private static double scaledTimesZero(MemorySegment seg, long i, long end, float factor) {
        FloatVector acc = FloatVector.zero(Vec.S);
        for (long vend = i + Vec.bound(end - i); i < vend; i += L) {
            FloatVector x = Vec.load(seg, i);
            acc = acc.add(x.mul(0f));
            Vec.store(x.mul(factor), seg, i);
        }
        float s = Vec.sumLanes(acc);
        for (; i < end; i++) {
            float x = seg.getAtIndex(F, i);
            s += x * 0f;
            seg.setAtIndex(F, i, x * factor);
        }
        return s;
    }

    private static double timesZero(MemorySegment seg, long i, long end) {
        FloatVector acc = FloatVector.zero(Vec.S);
        for (long vend = i + Vec.bound(end - i); i < vend; i += L) {
            acc = acc.add(Vec.load(seg, i).mul(0f));
        }
        float s = Vec.sumLanes(acc);
        for (; i < end; i++) {
            s += seg.getAtIndex(F, i) * 0f;
        }
        return s;
    }
}
