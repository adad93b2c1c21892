// Test helpers for GPU tests: random data rounded to a dtype, uploads and downloads with the
// dtype's encoding (BF16 and FP16 via the JDK's and a round-to-nearest-even conversion written
// here), and the relative error measure the tolerances of DESIGN.md apply to.
package org.panatrain.kernels.cuda;

import java.lang.foreign.ValueLayout;
import java.util.Random;
import org.panatrain.memory.DType;
import org.panatrain.memory.DeviceArena;
import org.panatrain.memory.DeviceMemory;
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
        return switch (t) {
            case FP32 -> x;
            case BF16 -> bf16ToFloat(floatToBf16(x));
            case FP16 -> Float.float16ToFloat(Float.floatToFloat16(x));
            default -> throw new IllegalArgumentException(t.toString());
        };
    }

    /** A device tensor of dtype {@code t} holding {@code values} (which should already be representable). */
    static Tensor upload(DeviceArena dev, HostArena host, float[] values, DType t, int... shape) {
        Tensor h = host.allocate(t, shape);
        for (int i = 0; i < values.length; i++) {
            switch (t) {
                case FP32 -> h.data().setAtIndex(ValueLayout.JAVA_FLOAT_UNALIGNED, i, values[i]);
                case BF16 -> h.data().setAtIndex(ValueLayout.JAVA_SHORT_UNALIGNED, i, floatToBf16(values[i]));
                case FP16 -> h.data().setAtIndex(ValueLayout.JAVA_SHORT_UNALIGNED, i, Float.floatToFloat16(values[i]));
                default -> throw new IllegalArgumentException(t.toString());
            }
        }
        Tensor d = dev.allocate(t, shape);
        DeviceMemory.copy(d, h);
        return d;
    }

    /** The elements of device tensor {@code d} as floats. */
    static float[] download(HostArena host, Tensor d) {
        Tensor h = host.allocate(d.dtype(), d.shape());
        DeviceMemory.copy(h, d);
        float[] out = new float[(int) d.numel()];
        for (int i = 0; i < out.length; i++) {
            out[i] = switch (d.dtype()) {
                case FP32 -> h.data().getAtIndex(ValueLayout.JAVA_FLOAT_UNALIGNED, i);
                case BF16 -> bf16ToFloat(h.data().getAtIndex(ValueLayout.JAVA_SHORT_UNALIGNED, i));
                case FP16 -> Float.float16ToFloat(h.data().getAtIndex(ValueLayout.JAVA_SHORT_UNALIGNED, i));
                default -> throw new IllegalArgumentException(d.dtype().toString());
            };
        }
        return out;
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

    static short floatToBf16(float x) {
        int bits = Float.floatToRawIntBits(x);
        if (Float.isNaN(x)) {
            return (short) 0x7FC0;
        }
        return (short) ((bits + 0x7FFF + ((bits >>> 16) & 1)) >>> 16);
    }

    static float bf16ToFloat(short b) {
        return Float.intBitsToFloat((b & 0xFFFF) << 16);
    }
}
