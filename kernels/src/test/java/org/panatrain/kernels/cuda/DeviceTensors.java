// Test helpers for GPU tests: random data rounded to a dtype, uploads and downloads with the
// dtype's encoding (FloatFormats), and the relative error measure DESIGN.md's tolerances apply to.
package org.panatrain.kernels.cuda;

import java.util.Random;
import org.panatrain.memory.DType;
import org.panatrain.memory.DeviceArena;
import org.panatrain.memory.DeviceMemory;
import org.panatrain.memory.FloatFormats;
import org.panatrain.memory.HostArena;
import org.panatrain.memory.Tensor;

final class DeviceTensors {
    private DeviceTensors() {
    }

    /** n Gaussian values, rounded to what {@code t} can hold. */
    static float[] random(int n, long seed, DType t) {
        Random r = new Random(seed);
        float[] v = new float[n];
        for (int i = 0; i < n; i++) {
            v[i] = round((float) r.nextGaussian(), t);
        }
        return v;
    }

    static float round(float x, DType t) {
        return FloatFormats.decode(t, FloatFormats.encode(t, x));
    }

    /** A device tensor of dtype {@code t} holding {@code values} (which should already be representable). */
    static Tensor upload(DeviceArena dev, HostArena host, float[] values, DType t, int... shape) {
        Tensor h = host.allocate(t, shape);
        FloatFormats.encode(t, host(host, values, values.length).data(), h.data(), values.length);
        Tensor d = dev.allocate(t, shape);
        DeviceMemory.copy(d, h);
        return d;
    }

    /** The elements of device tensor {@code d} as floats. */
    static float[] download(HostArena host, Tensor d) {
        Tensor h = host.allocate(d.dtype(), d.shape());
        DeviceMemory.copy(h, d);
        Tensor f32 = host.allocate(DType.FP32, d.shape());
        FloatFormats.decode(d.dtype(), h.data(), f32.data(), d.numel());
        return f32.toFloatArray();
    }

    /** A host FP32 tensor of {@code values}. */
    static Tensor host(HostArena host, float[] values, int... shape) {
        Tensor t = host.allocate(DType.FP32, shape);
        t.copyFrom(values);
        return t;
    }

    /** max |got - want| / max |want|; NaN anywhere in got (e.g. an unwritten, poisoned output) gives NaN. */
    static double relativeError(float[] got, double[] want) {
        double maxDiff = 0, maxRef = 1e-30;
        for (int i = 0; i < want.length; i++) {
            if (Float.isNaN(got[i])) {
                return Double.NaN;
            }
            maxDiff = Math.max(maxDiff, Math.abs(got[i] - want[i]));
            maxRef = Math.max(maxRef, Math.abs(want[i]));
        }
        return maxDiff / maxRef;
    }

    static double[] toDouble(float[] v) {
        double[] d = new double[v.length];
        for (int i = 0; i < v.length; i++) {
            d[i] = v[i];
        }
        return d;
    }
}
