// Copies between host and device tensors (both directions and device to device), synchronous or
// on a stream, and byte fills of device tensors. Every tensor is checked (alive, sizes, dtypes)
// before the driver is called. A call allocates nothing on the Java heap: the failure message
// (the call and its byte count) is built only when the driver fails. It leaves out 2-D/3-D copies
// and peer (multi-GPU) copies.
package org.panatrain.memory;

import java.lang.foreign.MemorySegment;
import org.panatrain.bindings.CudaDriver;
import org.panatrain.bindings.CudaStream;

/**
 * Data movement for device tensors.
 *
 * <pre>{@code
 * DeviceMemory.copy(deviceW, hostW);                 // host -> device, synchronous
 * DeviceMemory.copyAsync(hostOut, deviceOut, stream); // device -> host, on a stream
 * DeviceMemory.fillBytes(deviceOut, (byte) 0xFF);     // poison: every FP32/BF16 element becomes NaN
 * }</pre>
 */
public final class DeviceMemory {
    private static final MemorySegment DEFAULT_STREAM = MemorySegment.NULL;

    private DeviceMemory() {
    }

    /** dst = src for tensors of the same dtype and element count, wherever each lives; returns when done. */
    public static void copy(Tensor dst, Tensor src) {
        transfer(dst, src, null);
    }

    /**
     * dst = src, queued on {@code stream}. From or to pinned host memory it overlaps with other work;
     * from pageable memory the driver stages it and returns when the source has been read.
     */
    public static void copyAsync(Tensor dst, Tensor src, CudaStream stream) {
        transfer(dst, src, stream);
    }

    /** Sets every byte of device tensor {@code t} to {@code value}. */
    public static void fillBytes(Tensor t, byte value) {
        long p = devicePointer(t, "fillBytes");
        int rc = CudaDriver.cuMemsetD8(p, value, t.byteSize());
        if (rc != CudaDriver.CUDA_SUCCESS) {
            CudaDriver.check(rc, "cuMemsetD8(" + t.byteSize() + ")");
        }
    }

    /** Sets every 32-bit word of device tensor {@code t} (FP32 or INT32) to {@code bits}. */
    public static void fill32(Tensor t, int bits) {
        requireWordSized(t);
        long p = devicePointer(t, "fill32");
        int rc = CudaDriver.cuMemsetD32(p, bits, t.numel());
        if (rc != CudaDriver.CUDA_SUCCESS) {
            CudaDriver.check(rc, "cuMemsetD32(" + t.numel() + ")");
        }
    }

    /** {@link #fill32} queued on {@code stream}. */
    public static void fill32Async(Tensor t, int bits, CudaStream stream) {
        requireWordSized(t);
        long p = devicePointer(t, "fill32Async");
        int rc = CudaDriver.cuMemsetD32Async(p, bits, t.numel(), stream.handle());
        if (rc != CudaDriver.CUDA_SUCCESS) {
            CudaDriver.check(rc, "cuMemsetD32Async(" + t.numel() + ")");
        }
    }

    /** The CUdeviceptr of a live device tensor; throws before any driver call otherwise. */
    public static long devicePointer(Tensor t, String use) {
        if (t.location() != Tensor.Location.DEVICE) {
            throw new IllegalArgumentException(use + " needs a device tensor, got " + t);
        }
        requireAlive(t, use);
        return t.data().address();
    }

    private static void transfer(Tensor dst, Tensor src, CudaStream stream) {
        if (dst.dtype() != src.dtype() || dst.numel() != src.numel()) {
            throw new IllegalArgumentException("copy from " + src + " to " + dst + ": dtype or element count differ");
        }
        requireAlive(dst, "copy destination");
        requireAlive(src, "copy source");
        long n = src.byteSize();
        MemorySegment s = stream == null ? DEFAULT_STREAM : stream.handle();
        boolean toDevice = dst.location() == Tensor.Location.DEVICE;
        boolean fromDevice = src.location() == Tensor.Location.DEVICE;
        if (toDevice && fromDevice) {
            long d = dst.data().address(), from = src.data().address();
            int rc = stream == null ? CudaDriver.cuMemcpyDtoD(d, from, n) : CudaDriver.cuMemcpyDtoDAsync(d, from, n, s);
            if (rc != CudaDriver.CUDA_SUCCESS) {
                CudaDriver.check(rc, copyCall("cuMemcpyDtoD", stream, n));
            }
        } else if (toDevice) {
            MemorySegment host = nativeHost(src, "copy source");
            long d = dst.data().address();
            int rc = stream == null ? CudaDriver.cuMemcpyHtoD(d, host, n) : CudaDriver.cuMemcpyHtoDAsync(d, host, n, s);
            if (rc != CudaDriver.CUDA_SUCCESS) {
                CudaDriver.check(rc, copyCall("cuMemcpyHtoD", stream, n));
            }
        } else if (fromDevice) {
            MemorySegment host = nativeHost(dst, "copy destination");
            long from = src.data().address();
            int rc = stream == null ? CudaDriver.cuMemcpyDtoH(host, from, n) : CudaDriver.cuMemcpyDtoHAsync(host, from, n, s);
            if (rc != CudaDriver.CUDA_SUCCESS) {
                CudaDriver.check(rc, copyCall("cuMemcpyDtoH", stream, n));
            }
        } else {
            MemorySegment.copy(src.data(), 0, dst.data(), 0, n);
        }
    }

    /** The failed copy as its CudaException names it: cuMemcpyHtoD(4096), cuMemcpyHtoDAsync(4096) on a stream. */
    private static String copyCall(String name, CudaStream stream, long bytes) {
        return name + (stream == null ? "" : "Async") + "(" + bytes + ")";
    }

    private static MemorySegment nativeHost(Tensor t, String role) {
        if (!t.data().isNative()) {
            throw new IllegalArgumentException(role + " " + t + " is on the Java heap; the driver needs native memory");
        }
        return t.data();
    }

    private static void requireAlive(Tensor t, String use) {
        if (!t.data().scope().isAlive()) {
            throw new IllegalStateException(use + ": " + t + " used after its arena was closed");
        }
    }

    private static void requireWordSized(Tensor t) {
        if (t.dtype().byteSize() != 4) {
            throw new IllegalArgumentException("32-bit fill of a " + t.dtype() + " tensor");
        }
    }
}
