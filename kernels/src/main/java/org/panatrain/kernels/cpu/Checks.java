// Cheap argument validation for the CPU kernels: dtype, location and shape agreement, with
// one-line IllegalArgumentException messages naming the op and the argument. Leaves out
// content checks except token ranges (see CpuKernels).
package org.panatrain.kernels.cpu;

import org.panatrain.memory.DType;
import org.panatrain.memory.Tensor;

/** Static checks that throw IllegalArgumentException("op: name ..."). */
final class Checks {
    private Checks() {
    }

    /** t is a host tensor of {@code dtype}. */
    static void host(String op, String name, Tensor t, DType dtype) {
        if (t == null) {
            throw new IllegalArgumentException(op + ": " + name + " is null");
        }
        if (t.location() != Tensor.Location.HOST) {
            throw new IllegalArgumentException(op + ": " + name + " must be a HOST tensor, got " + t);
        }
        if (t.dtype() != dtype) {
            throw new IllegalArgumentException(op + ": " + name + " must be " + dtype + ", got " + t);
        }
    }

    /** t is a host FP32 tensor. */
    static void f32(String op, String name, Tensor t) {
        host(op, name, t, DType.FP32);
    }

    /** t is a host FP32 tensor of exactly {@code numel} elements. */
    static void f32(String op, String name, Tensor t, long numel) {
        f32(op, name, t);
        if (t.numel() != numel) {
            throw new IllegalArgumentException(op + ": " + name + " must have " + numel + " elements, got " + t);
        }
    }

    /** a and b have the same element count. */
    static void sameSize(String op, String an, Tensor a, String bn, Tensor b) {
        if (a.numel() != b.numel()) {
            throw new IllegalArgumentException(op + ": " + an + " " + a + " and " + bn + " " + b + " differ in size");
        }
    }

    /** t has exactly the shape (d0, d1, d2, d3); four ints, not varargs, so that a check allocates nothing. */
    static void shape(String op, String name, Tensor t, int d0, int d1, int d2, int d3) {
        // not t.shape(): that is a copy, and this runs every step
        if (t.rank() != 4 || t.dim(0) != d0 || t.dim(1) != d1 || t.dim(2) != d2 || t.dim(3) != d3) {
            throw new IllegalArgumentException(op + ": " + name + " must have shape [" + d0 + ", " + d1 + ", " + d2 + ", "
                    + d3 + "], got " + t);
        }
    }

    /** t is a host FP32 tensor of any rank read as (rows, cols): last dimension cols, rows*cols elements. */
    static void matrix(String op, String name, Tensor t, long rows, int cols) {
        f32(op, name, t);
        if (t.rank() == 0 || t.dim(-1) != cols || t.numel() != rows * cols) {
            throw new IllegalArgumentException(op + ": " + name + " must hold " + rows + " rows of " + cols + ", got " + t);
        }
    }

    /** t has rank {@code rank}. */
    static void rank(String op, String name, Tensor t, int rank) {
        if (t.rank() != rank) {
            throw new IllegalArgumentException(op + ": " + name + " must have rank " + rank + ", got " + t);
        }
    }

    /** Every id in tokens (INT32) is in [0, limit). */
    static void tokenRange(String op, String name, Tensor tokens, int limit) {
        long n = tokens.numel();
        for (long i = 0; i < n; i++) {
            int id = tokens.getInt(i);
            if (id < 0 || id >= limit) {
                throw new IllegalArgumentException(op + ": " + name + "[" + i + "] = " + id + " is outside [0, " + limit + ")");
            }
        }
    }
}
