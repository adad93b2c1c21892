// Test support for the kernel tests on the GPU: device tensors of any storage type made from float
// arrays and read back as floats (encoded on the host by DeviceTensors, so no kernel under test
// is involved), poisoned with NaN, placed off 16-byte alignment; host FP32 tensors for the CPU
// reference; and the tolerance check by dtype. Leaves out any reference math: the CPU backend is
// the reference.
package org.panatrain.kernels.cuda;

import static org.assertj.core.api.Assertions.fail;

import java.util.SplittableRandom;
import org.panatrain.memory.DType;
import org.panatrain.memory.DeviceArena;
import org.panatrain.memory.DeviceMemory;
import org.panatrain.memory.HostArena;
import org.panatrain.memory.Tensor;

/** Host and device tensors of one test, freed together. */
final class GpuTensors implements AutoCloseable {
    private final DeviceArena device;
    private final HostArena host = new HostArena();
    final SplittableRandom random;

    GpuTensors(DeviceArena device, long seed) {
        this.device = device;
        this.random = new SplittableRandom(seed);
        device.reset();
    }

    /** Uniform in [-scale, scale), rounded to what {@code dtype} can hold. */
    float[] uniform(int n, double scale, DType dtype) {
        float[] a = new float[n];
        for (int i = 0; i < n; i++) {
            a[i] = (float) ((random.nextDouble() * 2 - 1) * scale);
        }
        return round(a, dtype);
    }

    int[] tokens(int n, int limit) {
        int[] a = new int[n];
        for (int i = 0; i < n; i++) {
            a[i] = random.nextInt(limit);
        }
        return a;
    }

    /** A host FP32 tensor holding {@code values}. */
    Tensor host(float[] values, int... shape) {
        Tensor t = host.allocate(DType.FP32, shape);
        t.copyFrom(values);
        return t;
    }

    Tensor hostInts(int[] values, int... shape) {
        Tensor t = host.allocate(DType.INT32, shape);
        for (int i = 0; i < values.length; i++) {
            t.setInt(i, values[i]);
        }
        return t;
    }

    /** A device tensor of {@code dtype} holding {@code values} (already representable in dtype). */
    Tensor device(float[] values, DType dtype, int... shape) {
        return DeviceTensors.upload(device, host, values, dtype, shape);
    }

    /**
     * Like {@link #device} but starting one element past a 16-byte boundary, so the kernels must
     * take their scalar (misaligned) paths.
     */
    Tensor deviceMisaligned(float[] values, DType dtype, int... shape) {
        Tensor padded = device.allocate(dtype, Math.toIntExact(Tensor.numel(shape) + 1));
        Tensor t = padded.slice(1, shape);
        DeviceMemory.copy(t, device(values, dtype, shape));
        return t;
    }

    Tensor deviceInts(int[] values, int... shape) {
        Tensor t = device.allocate(DType.INT32, shape);
        DeviceMemory.copy(t, hostInts(values, shape));
        return t;
    }

    /** A device tensor whose every element is NaN: an op that overwrites must replace all of them. */
    Tensor poisoned(DType dtype, int... shape) {
        Tensor t = device.allocate(dtype, shape);
        DeviceMemory.fillBytes(t, (byte) 0xFF); // all-ones exponent and mantissa: NaN in FP32, BF16 and FP16
        return t;
    }

    /** The values of a device tensor, as floats (exact: every storage type widens exactly to FP32). */
    float[] read(Tensor t) {
        return DeviceTensors.download(host, t);
    }

    /** Each value rounded to the nearest {@code dtype} value (ties to even), as the kernels store. */
    static float[] round(float[] values, DType dtype) {
        float[] out = values.clone();
        for (int i = 0; i < out.length; i++) {
            out[i] = DeviceTensors.round(out[i], dtype);
        }
        return out;
    }

    static float round(float x, DType dtype) {
        return DeviceTensors.round(x, dtype);
    }

    /** Relative tolerance by storage type (DESIGN: fp32 1e-5, bf16/fp16 1e-2). */
    static double tolerance(DType dtype) {
        return dtype == DType.FP32 ? 1e-5 : 1e-2;
    }

    /**
     * got == want or |got - want| <= tol (|want| + max|want|) for every element, else fails naming
     * the first bad one; the second term is the floor for elements that cancel to near zero.
     */
    static void assertClose(String what, float[] want, float[] got, DType dtype) {
        assertClose(what, want, got, dtype, 0);
    }

    /** {@link #assertClose(String, float[], float[], DType)} with an absolute allowance {@code floor} added. */
    static void assertClose(String what, float[] want, float[] got, DType dtype, double floor) {
        if (want.length != got.length) {
            fail(what + ": " + got.length + " values, expected " + want.length);
        }
        double tol = tolerance(dtype);
        double max = 0;
        for (float w : want) {
            max = Math.max(max, Math.abs(w));
        }
        for (int i = 0; i < want.length; i++) {
            double err = Math.abs((double) got[i] - want[i]);
            if (!(got[i] == want[i] || err <= tol * (Math.abs(want[i]) + max) + floor)) {
                fail(what + " (" + dtype + "): element " + i + " is " + got[i] + ", expected " + want[i]
                        + " (tolerance " + tol + ", max |expected| " + max + ")");
            }
        }
    }

    @Override
    public void close() {
        host.close();
        device.reset();
    }
}
