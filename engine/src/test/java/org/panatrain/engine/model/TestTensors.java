// Test helpers: move float arrays to and from backend tensors, and the relative error the
// reference tests use.
package org.panatrain.engine.model;

import java.lang.foreign.Arena;
import org.panatrain.kernels.Kernels;
import org.panatrain.memory.DType;
import org.panatrain.memory.Tensor;

/** Array <-> backend tensor copies and the error metric of the tests. */
public final class TestTensors {
    private TestTensors() {
    }

    public static void write(Kernels k, Tensor dst, float[] values) {
        try (Arena arena = Arena.ofShared()) { // shared: the CPU backend copies on its worker threads
            Tensor host = Tensor.host(arena.allocate(dst.byteSize(), 64), DType.FP32, dst.shape());
            host.copyFrom(values);
            k.upload(dst, host);
        }
    }

    public static float[] read(Kernels k, Tensor src) {
        try (Arena arena = Arena.ofShared()) { // shared: the CPU backend copies on its worker threads
            Tensor host = Tensor.host(arena.allocate(src.byteSize(), 64), DType.FP32, src.shape());
            k.download(host, src);
            return host.toFloatArray();
        }
    }

    /** Relative error of a scalar: |actual - expected| / |expected|. */
    public static double relativeError(float actual, float expected) {
        return Math.abs((double) actual - expected) / Math.abs((double) expected);
    }

    /** Relative error of a tensor: max |actual - expected| / max |expected| (0 when both are 0). */
    public static double relativeError(float[] actual, float[] expected) {
        if (actual.length != expected.length) {
            throw new IllegalArgumentException(actual.length + " values vs " + expected.length + " expected");
        }
        double maxDiff = 0;
        double maxRef = 0;
        for (int i = 0; i < expected.length; i++) {
            maxDiff = Math.max(maxDiff, Math.abs((double) actual[i] - expected[i]));
            maxRef = Math.max(maxRef, Math.abs((double) expected[i]));
        }
        return maxRef == 0 ? maxDiff : maxDiff / maxRef;
    }
}
