// Adafactor on the CPU (Kernels.adafactorMoments and adafactorUpdate). Every sum is in double and
// in a fixed order, so the thread count never changes a bit: a row's sum runs along the row in four
// interleaved accumulators, a column's down the rows in order (each thread owns a range of
// columns), and the sum of squared updates is cut into fixed pieces of rows whose partials are
// added in piece order.
// Reciprocal square roots are taken in double and rounded to float. The update pass is vectorized
// (the same float operations as the scalar tail, so both agree to the bit). One instance per
// backend holds the call's arguments and grow-only scratch in fields, and is itself the range body
// (the pass to run is a field), so a call allocates nothing once the scratch has grown.
// Leaves out validation (CpuKernels).
package org.panatrain.kernels.cpu;

import static org.panatrain.kernels.cpu.Vec.F;
import static org.panatrain.kernels.cpu.Vec.L;

import java.lang.foreign.MemorySegment;
import java.util.Arrays;
import jdk.incubator.vector.FloatVector;

/** The two Adafactor passes over FP32 segments; a matrix is (rows, cols), a vector has column = null. */
final class CpuAdafactor implements Parallel.RangeBody {
    /** Elements per piece of the sum of squared updates (and the scheduling grain of every pass). */
    private static final int PIECE = 1 << 14;
    /** Columns a thread is handed at least in the column-mean pass. */
    private static final int COLUMN_GRAIN = 64;

    private enum Pass { ROW_MEANS, COLUMN_MEANS, VECTOR_MOMENTS, SQUARES, APPLY }

    private final Parallel par;
    private Pass pass;
    private MemorySegment param, grad, row, column; // column null: unfactored, row is v
    private int rows, cols;                          // unfactored: rows = elements, cols = 1
    private float beta2t, eps1, rowMean, scale, decay;
    private int rowsPerPiece;
    private double[] columnSums = new double[0];     // (cols) of the column-mean pass
    private float[] columnFactors = new float[0];    // (cols) 1 / sqrt(column[j]) of the update
    private double[] partials = new double[0];       // (pieces) sums of squared updates

    CpuAdafactor(Parallel par) {
        this.par = par;
    }

    /** row = beta2t row + (1 - beta2t) mean_j (g^2 + eps1), column likewise over rows; or the vector EMA. */
    void moments(MemorySegment grad, MemorySegment row, MemorySegment column, int rows, int cols, float beta2t,
                 float eps1) {
        this.grad = grad;
        this.row = row;
        this.column = column;
        this.rows = rows;
        this.cols = cols;
        this.beta2t = beta2t;
        this.eps1 = eps1;
        try {
            if (column == null) {
                run(Pass.VECTOR_MOMENTS, rows, PIECE);
            } else {
                run(Pass.ROW_MEANS, rows, Math.max(1, PIECE / cols));
                if (columnSums.length < cols) {
                    columnSums = new double[cols];
                }
                Arrays.fill(columnSums, 0, cols, 0);
                run(Pass.COLUMN_MEANS, cols, COLUMN_GRAIN);
            }
        } finally {
            clear();
        }
    }

    /** u = g row and column factors, clipped to RMS clipThreshold; param = param (1 - lr wd) - lr u. */
    void update(MemorySegment param, MemorySegment grad, MemorySegment row, MemorySegment column, int rows, int cols,
                float lr, float weightDecay, float clipThreshold) {
        this.param = param;
        this.grad = grad;
        this.row = row;
        this.column = column;
        this.rows = rows;
        this.cols = cols;
        try {
            if (column != null) {
                double sum = 0;
                for (int r = 0; r < rows; r++) {
                    sum += row.getAtIndex(F, r);
                }
                rowMean = (float) (sum / rows);
                if (columnFactors.length < cols) {
                    columnFactors = new float[cols];
                }
                for (int j = 0; j < cols; j++) {
                    columnFactors[j] = rsqrt(column.getAtIndex(F, j));
                }
            }
            rowsPerPiece = Math.max(1, PIECE / cols);
            int pieces = (rows + rowsPerPiece - 1) / rowsPerPiece;
            if (partials.length < pieces) {
                partials = new double[pieces];
            }
            run(Pass.SQUARES, pieces, 1);
            double sum = 0;
            for (int p = 0; p < pieces; p++) {
                sum += partials[p];
            }
            double rms = Math.sqrt(sum / ((double) rows * cols));
            scale = (float) (lr / Math.max(1.0, rms / clipThreshold));
            decay = 1f - lr * weightDecay;
            run(Pass.APPLY, rows, Math.max(1, PIECE / cols));
        } finally {
            clear();
        }
    }

    private void run(Pass pass, int n, int grain) {
        this.pass = pass;
        par.forRange(n, grain, this);
    }

    private void clear() {
        param = grad = row = column = null; // do not keep the caller's tensors reachable
    }

    @Override
    public void run(int start, int end) {
        switch (pass) {
            case ROW_MEANS -> rowMeans(start, end);
            case COLUMN_MEANS -> columnMeans(start, end);
            case VECTOR_MOMENTS -> vectorMoments(start, end);
            case SQUARES -> {
                for (int p = start; p < end; p++) {
                    partials[p] = squares(p * rowsPerPiece, Math.min(rows, (p + 1) * rowsPerPiece));
                }
            }
            case APPLY -> apply(start, end);
        }
    }

    private void rowMeans(int r0, int r1) {
        MemorySegment grad = this.grad;
        float eps1 = this.eps1;
        for (int r = r0; r < r1; r++) {
            long base = (long) r * cols;
            // four accumulators, added in a fixed order: a single one would wait on each double add
            double s0 = 0, s1 = 0, s2 = 0, s3 = 0;
            int j = 0;
            for (; j + 4 <= cols; j += 4) {
                float g0 = grad.getAtIndex(F, base + j), g1 = grad.getAtIndex(F, base + j + 1);
                float g2 = grad.getAtIndex(F, base + j + 2), g3 = grad.getAtIndex(F, base + j + 3);
                s0 += g0 * g0 + eps1;
                s1 += g1 * g1 + eps1;
                s2 += g2 * g2 + eps1;
                s3 += g3 * g3 + eps1;
            }
            for (; j < cols; j++) {
                float g = grad.getAtIndex(F, base + j);
                s0 += g * g + eps1;
            }
            double sum = (s0 + s1) + (s2 + s3);
            row.setAtIndex(F, r, beta2t * row.getAtIndex(F, r) + (1f - beta2t) * (float) (sum / cols));
        }
    }

    private void columnMeans(int j0, int j1) {
        for (int r = 0; r < rows; r++) {
            long base = (long) r * cols;
            for (int j = j0; j < j1; j++) {
                float g = grad.getAtIndex(F, base + j);
                columnSums[j] += g * g + eps1;
            }
        }
        for (int j = j0; j < j1; j++) {
            column.setAtIndex(F, j, beta2t * column.getAtIndex(F, j) + (1f - beta2t) * (float) (columnSums[j] / rows));
        }
    }

    private void vectorMoments(int i0, int i1) {
        for (int i = i0; i < i1; i++) {
            float g = grad.getAtIndex(F, i);
            row.setAtIndex(F, i, beta2t * row.getAtIndex(F, i) + (1f - beta2t) * (g * g + eps1));
        }
    }

    /** The sum of u^2 over rows [r0, r1) (elements, unfactored), u the unclipped update. */
    private double squares(int r0, int r1) {
        double sum = 0;
        if (column == null) {
            for (int i = r0; i < r1; i++) {
                float u = grad.getAtIndex(F, i) * rsqrt(row.getAtIndex(F, i));
                sum += u * u;
            }
            return sum;
        }
        MemorySegment grad = this.grad;
        float[] columnFactors = this.columnFactors;
        for (int r = r0; r < r1; r++) {
            float rowFactor = rsqrt(row.getAtIndex(F, r) / rowMean);
            long base = (long) r * cols;
            double s0 = 0, s1 = 0, s2 = 0, s3 = 0; // as in rowMeans
            int j = 0;
            for (; j + 4 <= cols; j += 4) {
                float u0 = grad.getAtIndex(F, base + j) * rowFactor * columnFactors[j];
                float u1 = grad.getAtIndex(F, base + j + 1) * rowFactor * columnFactors[j + 1];
                float u2 = grad.getAtIndex(F, base + j + 2) * rowFactor * columnFactors[j + 2];
                float u3 = grad.getAtIndex(F, base + j + 3) * rowFactor * columnFactors[j + 3];
                s0 += u0 * u0;
                s1 += u1 * u1;
                s2 += u2 * u2;
                s3 += u3 * u3;
            }
            for (; j < cols; j++) {
                float u = grad.getAtIndex(F, base + j) * rowFactor * columnFactors[j];
                s0 += u * u;
            }
            sum += (s0 + s1) + (s2 + s3);
        }
        return sum;
    }

    private void apply(int r0, int r1) {
        if (column == null) {
            for (int i = r0; i < r1; i++) {
                float u = grad.getAtIndex(F, i) * rsqrt(row.getAtIndex(F, i));
                param.setAtIndex(F, i, param.getAtIndex(F, i) * decay - scale * u);
            }
            return;
        }
        for (int r = r0; r < r1; r++) {
            float rowFactor = rsqrt(row.getAtIndex(F, r) / rowMean);
            long base = (long) r * cols;
            int j = 0;
            for (int vend = Vec.bound(cols); j < vend; j += L) {
                FloatVector u = Vec.load(grad, base + j).mul(rowFactor).mul(FloatVector.fromArray(Vec.S, columnFactors, j));
                Vec.store(Vec.load(param, base + j).mul(decay).sub(u.mul(scale)), param, base + j);
            }
            for (; j < cols; j++) {
                float u = grad.getAtIndex(F, base + j) * rowFactor * columnFactors[j];
                param.setAtIndex(F, base + j, param.getAtIndex(F, base + j) * decay - scale * u);
            }
        }
    }

    private static float rsqrt(float x) {
        return (float) (1 / Math.sqrt(x));
    }
}
