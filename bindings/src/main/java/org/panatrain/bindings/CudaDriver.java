// FFM downcalls for the CUDA driver API (libcuda), one MethodHandle per C function, linked once
// in a lazy holder on first use. Symbols are those cuda.h's macros map to (cuMemAlloc ->
// cuMemAlloc_v2, ...); the legacy default stream is used, not the per-thread one (_ptds/_ptsz).
// Also: the one status check, and the sticky-error guard. It leaves out graphs, arrays,
// textures, virtual memory management and peer access, which nothing here uses yet.
package org.panatrain.bindings;

import static org.panatrain.bindings.Downcall.BYTE;
import static org.panatrain.bindings.Downcall.INT;
import static org.panatrain.bindings.Downcall.LONG;
import static org.panatrain.bindings.Downcall.PTR;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.SymbolLookup;
import java.lang.foreign.ValueLayout;
import java.lang.invoke.MethodHandle;
import java.util.List;
import java.util.Set;

/**
 * The CUDA driver API. Every method returns the raw CUresult; pass it to {@link #check} to get a
 * {@link CudaException} naming the call. Handles (CUcontext, CUstream, CUevent, CUmodule,
 * CUfunction) are {@link MemorySegment} addresses; CUdeviceptr is a {@code long}; out-parameters
 * are segments the caller allocates. Call {@link Cuda#availability()} before the first call: on a
 * machine without libcuda the first call throws {@link ExceptionInInitializerError}.
 *
 * <pre>{@code
 * try (Arena a = Arena.ofConfined()) {
 *     MemorySegment dptr = a.allocate(ValueLayout.JAVA_LONG);
 *     CudaDriver.check(CudaDriver.cuMemAlloc(dptr, 1 << 20), "cuMemAlloc(1048576)");
 *     long p = dptr.get(ValueLayout.JAVA_LONG, 0);
 * }
 * }</pre>
 *
 * <p>A sticky error (an illegal address, a failed launch, ...) leaves the context unusable: the
 * first one is remembered, and every later call that needs the context throws it again at once,
 * without calling the driver, instead of producing a cascade of unrelated errors.
 */
public final class CudaDriver {
    public static final int CUDA_SUCCESS = 0;
    public static final int CUDA_ERROR_OUT_OF_MEMORY = 2;
    public static final int CUDA_ERROR_NOT_INITIALIZED = 3;
    public static final int CUDA_ERROR_NO_DEVICE = 100;
    public static final int CUDA_ERROR_INVALID_PTX = 218;
    public static final int CUDA_ERROR_ILLEGAL_ADDRESS = 700;
    public static final int CUDA_ERROR_LAUNCH_FAILED = 719;

    /** Errors after which the context cannot be used again (cuda.h: "the process must be terminated"). */
    public static final Set<Integer> STICKY_ERRORS = Set.of(
            214, // CUDA_ERROR_ECC_UNCORRECTABLE
            700, // CUDA_ERROR_ILLEGAL_ADDRESS
            710, // CUDA_ERROR_ASSERT
            714, // CUDA_ERROR_HARDWARE_STACK_ERROR
            715, // CUDA_ERROR_ILLEGAL_INSTRUCTION
            716, // CUDA_ERROR_MISALIGNED_ADDRESS
            717, // CUDA_ERROR_INVALID_ADDRESS_SPACE
            718, // CUDA_ERROR_INVALID_PC
            719); // CUDA_ERROR_LAUNCH_FAILED

    // CUdevice_attribute values used by device queries.
    public static final int CU_DEVICE_ATTRIBUTE_MAX_THREADS_PER_BLOCK = 1;
    public static final int CU_DEVICE_ATTRIBUTE_WARP_SIZE = 10;
    public static final int CU_DEVICE_ATTRIBUTE_CLOCK_RATE = 13;
    public static final int CU_DEVICE_ATTRIBUTE_MULTIPROCESSOR_COUNT = 16;
    public static final int CU_DEVICE_ATTRIBUTE_MEMORY_CLOCK_RATE = 36;
    public static final int CU_DEVICE_ATTRIBUTE_GLOBAL_MEMORY_BUS_WIDTH = 37;
    public static final int CU_DEVICE_ATTRIBUTE_L2_CACHE_SIZE = 38;
    public static final int CU_DEVICE_ATTRIBUTE_COMPUTE_CAPABILITY_MAJOR = 75;
    public static final int CU_DEVICE_ATTRIBUTE_COMPUTE_CAPABILITY_MINOR = 76;
    public static final int CU_DEVICE_ATTRIBUTE_MAX_SHARED_MEMORY_PER_BLOCK_OPTIN = 97;

    // Flags.
    public static final int CU_MEMHOSTALLOC_PORTABLE = 0x01;
    public static final int CU_MEMHOSTALLOC_DEVICEMAP = 0x02;
    public static final int CU_MEMHOSTREGISTER_PORTABLE = 0x01;
    public static final int CU_STREAM_DEFAULT = 0x0;
    public static final int CU_STREAM_NON_BLOCKING = 0x1;
    public static final int CU_EVENT_DEFAULT = 0x0;
    public static final int CU_EVENT_DISABLE_TIMING = 0x2;
    public static final int CU_FUNC_ATTRIBUTE_MAX_DYNAMIC_SHARED_SIZE_BYTES = 8;

    // CUjit_option values for cuModuleLoadDataEx.
    public static final int CU_JIT_INFO_LOG_BUFFER = 3;
    public static final int CU_JIT_INFO_LOG_BUFFER_SIZE_BYTES = 4;
    public static final int CU_JIT_ERROR_LOG_BUFFER = 5;
    public static final int CU_JIT_ERROR_LOG_BUFFER_SIZE_BYTES = 6;
    public static final int CU_JIT_LOG_VERBOSE = 12;

    /** The first sticky error seen, or null while the context is healthy. */
    private static volatile CudaException stickyError;

    private CudaDriver() {
    }

    // ---- signatures: one per C function, in the order of the wrappers below ----------------------
    static final Downcall cuInit = Downcall.of("cuInit", INT, INT);
    static final Downcall cuDriverGetVersion = Downcall.of("cuDriverGetVersion", INT, PTR);
    static final Downcall cuDeviceGetCount = Downcall.of("cuDeviceGetCount", INT, PTR);
    static final Downcall cuDeviceGet = Downcall.of("cuDeviceGet", INT, PTR, INT);
    static final Downcall cuDeviceGetName = Downcall.of("cuDeviceGetName", INT, PTR, INT, INT);
    static final Downcall cuDeviceGetAttribute = Downcall.of("cuDeviceGetAttribute", INT, PTR, INT, INT);
    static final Downcall cuDeviceTotalMem_v2 = Downcall.of("cuDeviceTotalMem_v2", INT, PTR, INT);
    static final Downcall cuMemGetInfo_v2 = Downcall.of("cuMemGetInfo_v2", INT, PTR, PTR);
    static final Downcall cuDevicePrimaryCtxRetain = Downcall.of("cuDevicePrimaryCtxRetain", INT, PTR, INT);
    static final Downcall cuDevicePrimaryCtxRelease_v2 = Downcall.of("cuDevicePrimaryCtxRelease_v2", INT, INT);
    static final Downcall cuCtxSetCurrent = Downcall.of("cuCtxSetCurrent", INT, PTR);
    static final Downcall cuCtxGetCurrent = Downcall.of("cuCtxGetCurrent", INT, PTR);
    static final Downcall cuCtxSynchronize = Downcall.of("cuCtxSynchronize", INT);
    static final Downcall cuMemAlloc_v2 = Downcall.of("cuMemAlloc_v2", INT, PTR, LONG);
    static final Downcall cuMemFree_v2 = Downcall.of("cuMemFree_v2", INT, LONG);
    static final Downcall cuMemsetD8_v2 = Downcall.of("cuMemsetD8_v2", INT, LONG, BYTE, LONG);
    static final Downcall cuMemsetD32_v2 = Downcall.of("cuMemsetD32_v2", INT, LONG, INT, LONG);
    static final Downcall cuMemsetD8Async = Downcall.of("cuMemsetD8Async", INT, LONG, BYTE, LONG, PTR);
    static final Downcall cuMemsetD32Async = Downcall.of("cuMemsetD32Async", INT, LONG, INT, LONG, PTR);
    static final Downcall cuMemcpyHtoD_v2 = Downcall.of("cuMemcpyHtoD_v2", INT, LONG, PTR, LONG);
    static final Downcall cuMemcpyDtoH_v2 = Downcall.of("cuMemcpyDtoH_v2", INT, PTR, LONG, LONG);
    static final Downcall cuMemcpyDtoD_v2 = Downcall.of("cuMemcpyDtoD_v2", INT, LONG, LONG, LONG);
    static final Downcall cuMemcpyHtoDAsync_v2 = Downcall.of("cuMemcpyHtoDAsync_v2", INT, LONG, PTR, LONG, PTR);
    static final Downcall cuMemcpyDtoHAsync_v2 = Downcall.of("cuMemcpyDtoHAsync_v2", INT, PTR, LONG, LONG, PTR);
    static final Downcall cuMemcpyDtoDAsync_v2 = Downcall.of("cuMemcpyDtoDAsync_v2", INT, LONG, LONG, LONG, PTR);
    static final Downcall cuMemHostAlloc = Downcall.of("cuMemHostAlloc", INT, PTR, LONG, INT);
    static final Downcall cuMemFreeHost = Downcall.of("cuMemFreeHost", INT, PTR);
    static final Downcall cuMemHostRegister_v2 = Downcall.of("cuMemHostRegister_v2", INT, PTR, LONG, INT);
    static final Downcall cuMemHostUnregister = Downcall.of("cuMemHostUnregister", INT, PTR);
    static final Downcall cuStreamCreate = Downcall.of("cuStreamCreate", INT, PTR, INT);
    static final Downcall cuStreamDestroy_v2 = Downcall.of("cuStreamDestroy_v2", INT, PTR);
    static final Downcall cuStreamSynchronize = Downcall.of("cuStreamSynchronize", INT, PTR);
    static final Downcall cuStreamWaitEvent = Downcall.of("cuStreamWaitEvent", INT, PTR, PTR, INT);
    static final Downcall cuEventCreate = Downcall.of("cuEventCreate", INT, PTR, INT);
    static final Downcall cuEventDestroy_v2 = Downcall.of("cuEventDestroy_v2", INT, PTR);
    static final Downcall cuEventRecord = Downcall.of("cuEventRecord", INT, PTR, PTR);
    static final Downcall cuEventSynchronize = Downcall.of("cuEventSynchronize", INT, PTR);
    static final Downcall cuEventElapsedTime_v2 = Downcall.of("cuEventElapsedTime_v2", INT, PTR, PTR, PTR).orElse("cuEventElapsedTime");
    static final Downcall cuModuleLoadDataEx = Downcall.of("cuModuleLoadDataEx", INT, PTR, PTR, INT, PTR, PTR);
    static final Downcall cuModuleUnload = Downcall.of("cuModuleUnload", INT, PTR);
    static final Downcall cuModuleGetFunction = Downcall.of("cuModuleGetFunction", INT, PTR, PTR, PTR);
    static final Downcall cuFuncSetAttribute = Downcall.of("cuFuncSetAttribute", INT, PTR, INT, INT);
    static final Downcall cuLaunchKernel = Downcall.of("cuLaunchKernel", INT, PTR, INT, INT, INT, INT, INT, INT, INT, PTR, PTR, PTR);
    static final Downcall cuGetErrorName = Downcall.of("cuGetErrorName", INT, INT, PTR);
    static final Downcall cuGetErrorString = Downcall.of("cuGetErrorString", INT, INT, PTR);
    /** Every function these bindings call, for the header-conformance test and diagnostics. */
    public static List<Downcall> downcalls() {
        return Downcall.declaredIn(CudaDriver.class);
    }

    /** The linked handles, created on first use of any wrapper. */
    private static final class H {
        private static final SymbolLookup LIBRARY = library();

        private static SymbolLookup library() {
            NativeLibraries.Found found = NativeLibraries.cudaDriver();
            if (found.lookup() == null) {
                throw new IllegalStateException(found.reason());
            }
            return found.lookup();
        }

        static final MethodHandle cuInit = CudaDriver.cuInit.link(LIBRARY);
        static final MethodHandle cuDriverGetVersion = CudaDriver.cuDriverGetVersion.link(LIBRARY);
        static final MethodHandle cuDeviceGetCount = CudaDriver.cuDeviceGetCount.link(LIBRARY);
        static final MethodHandle cuDeviceGet = CudaDriver.cuDeviceGet.link(LIBRARY);
        static final MethodHandle cuDeviceGetName = CudaDriver.cuDeviceGetName.link(LIBRARY);
        static final MethodHandle cuDeviceGetAttribute = CudaDriver.cuDeviceGetAttribute.link(LIBRARY);
        static final MethodHandle cuDeviceTotalMem_v2 = CudaDriver.cuDeviceTotalMem_v2.link(LIBRARY);
        static final MethodHandle cuMemGetInfo_v2 = CudaDriver.cuMemGetInfo_v2.link(LIBRARY);
        static final MethodHandle cuDevicePrimaryCtxRetain = CudaDriver.cuDevicePrimaryCtxRetain.link(LIBRARY);
        static final MethodHandle cuDevicePrimaryCtxRelease_v2 = CudaDriver.cuDevicePrimaryCtxRelease_v2.link(LIBRARY);
        static final MethodHandle cuCtxSetCurrent = CudaDriver.cuCtxSetCurrent.link(LIBRARY);
        static final MethodHandle cuCtxGetCurrent = CudaDriver.cuCtxGetCurrent.link(LIBRARY);
        static final MethodHandle cuCtxSynchronize = CudaDriver.cuCtxSynchronize.link(LIBRARY);
        static final MethodHandle cuMemAlloc_v2 = CudaDriver.cuMemAlloc_v2.link(LIBRARY);
        static final MethodHandle cuMemFree_v2 = CudaDriver.cuMemFree_v2.link(LIBRARY);
        static final MethodHandle cuMemsetD8_v2 = CudaDriver.cuMemsetD8_v2.link(LIBRARY);
        static final MethodHandle cuMemsetD32_v2 = CudaDriver.cuMemsetD32_v2.link(LIBRARY);
        static final MethodHandle cuMemsetD8Async = CudaDriver.cuMemsetD8Async.link(LIBRARY);
        static final MethodHandle cuMemsetD32Async = CudaDriver.cuMemsetD32Async.link(LIBRARY);
        static final MethodHandle cuMemcpyHtoD_v2 = CudaDriver.cuMemcpyHtoD_v2.link(LIBRARY);
        static final MethodHandle cuMemcpyDtoH_v2 = CudaDriver.cuMemcpyDtoH_v2.link(LIBRARY);
        static final MethodHandle cuMemcpyDtoD_v2 = CudaDriver.cuMemcpyDtoD_v2.link(LIBRARY);
        static final MethodHandle cuMemcpyHtoDAsync_v2 = CudaDriver.cuMemcpyHtoDAsync_v2.link(LIBRARY);
        static final MethodHandle cuMemcpyDtoHAsync_v2 = CudaDriver.cuMemcpyDtoHAsync_v2.link(LIBRARY);
        static final MethodHandle cuMemcpyDtoDAsync_v2 = CudaDriver.cuMemcpyDtoDAsync_v2.link(LIBRARY);
        static final MethodHandle cuMemHostAlloc = CudaDriver.cuMemHostAlloc.link(LIBRARY);
        static final MethodHandle cuMemFreeHost = CudaDriver.cuMemFreeHost.link(LIBRARY);
        static final MethodHandle cuMemHostRegister_v2 = CudaDriver.cuMemHostRegister_v2.link(LIBRARY);
        static final MethodHandle cuMemHostUnregister = CudaDriver.cuMemHostUnregister.link(LIBRARY);
        static final MethodHandle cuStreamCreate = CudaDriver.cuStreamCreate.link(LIBRARY);
        static final MethodHandle cuStreamDestroy_v2 = CudaDriver.cuStreamDestroy_v2.link(LIBRARY);
        static final MethodHandle cuStreamSynchronize = CudaDriver.cuStreamSynchronize.link(LIBRARY);
        static final MethodHandle cuStreamWaitEvent = CudaDriver.cuStreamWaitEvent.link(LIBRARY);
        static final MethodHandle cuEventCreate = CudaDriver.cuEventCreate.link(LIBRARY);
        static final MethodHandle cuEventDestroy_v2 = CudaDriver.cuEventDestroy_v2.link(LIBRARY);
        static final MethodHandle cuEventRecord = CudaDriver.cuEventRecord.link(LIBRARY);
        static final MethodHandle cuEventSynchronize = CudaDriver.cuEventSynchronize.link(LIBRARY);
        static final MethodHandle cuEventElapsedTime_v2 = CudaDriver.cuEventElapsedTime_v2.link(LIBRARY);
        static final MethodHandle cuModuleLoadDataEx = CudaDriver.cuModuleLoadDataEx.link(LIBRARY);
        static final MethodHandle cuModuleUnload = CudaDriver.cuModuleUnload.link(LIBRARY);
        static final MethodHandle cuModuleGetFunction = CudaDriver.cuModuleGetFunction.link(LIBRARY);
        static final MethodHandle cuFuncSetAttribute = CudaDriver.cuFuncSetAttribute.link(LIBRARY);
        static final MethodHandle cuLaunchKernel = CudaDriver.cuLaunchKernel.link(LIBRARY);
        static final MethodHandle cuGetErrorName = CudaDriver.cuGetErrorName.link(LIBRARY);
        static final MethodHandle cuGetErrorString = CudaDriver.cuGetErrorString.link(LIBRARY);    }

    // ---- wrappers: named as the C API (the macro names of cuda.h) -----------------------------------

    /** Initializes the driver; must precede every other call. */
    public static int cuInit(int flags) {
        try {
            return (int) H.cuInit.invokeExact(flags);
        } catch (Throwable t) {
            throw Downcall.rethrow(t);
        }
    }

    /** int: 1000*major + 10*minor of the driver's CUDA version. */
    public static int cuDriverGetVersion(MemorySegment driverVersion) {
        try {
            return (int) H.cuDriverGetVersion.invokeExact(driverVersion);
        } catch (Throwable t) {
            throw Downcall.rethrow(t);
        }
    }

    /** Number of devices. */
    public static int cuDeviceGetCount(MemorySegment count) {
        try {
            return (int) H.cuDeviceGetCount.invokeExact(count);
        } catch (Throwable t) {
            throw Downcall.rethrow(t);
        }
    }

    /** CUdevice (int) of ordinal. */
    public static int cuDeviceGet(MemorySegment device, int ordinal) {
        try {
            return (int) H.cuDeviceGet.invokeExact(device, ordinal);
        } catch (Throwable t) {
            throw Downcall.rethrow(t);
        }
    }

    /** NUL-terminated device name into name[len]. */
    public static int cuDeviceGetName(MemorySegment name, int len, int dev) {
        try {
            return (int) H.cuDeviceGetName.invokeExact(name, len, dev);
        } catch (Throwable t) {
            throw Downcall.rethrow(t);
        }
    }

    /** One CU_DEVICE_ATTRIBUTE_* value. */
    public static int cuDeviceGetAttribute(MemorySegment pi, int attrib, int dev) {
        try {
            return (int) H.cuDeviceGetAttribute.invokeExact(pi, attrib, dev);
        } catch (Throwable t) {
            throw Downcall.rethrow(t);
        }
    }

    /** Total device memory (size_t). */
    public static int cuDeviceTotalMem(MemorySegment bytes, int dev) {
        try {
            return (int) H.cuDeviceTotalMem_v2.invokeExact(bytes, dev);
        } catch (Throwable t) {
            throw Downcall.rethrow(t);
        }
    }

    /** Free and total memory of the current context's device (size_t each). */
    public static int cuMemGetInfo(MemorySegment free, MemorySegment total) {
        requireAlive("cuMemGetInfo");
        try {
            return (int) H.cuMemGetInfo_v2.invokeExact(free, total);
        } catch (Throwable t) {
            throw Downcall.rethrow(t);
        }
    }

    /** Retains the device's primary context. */
    public static int cuDevicePrimaryCtxRetain(MemorySegment pctx, int dev) {
        requireAlive("cuDevicePrimaryCtxRetain");
        try {
            return (int) H.cuDevicePrimaryCtxRetain.invokeExact(pctx, dev);
        } catch (Throwable t) {
            throw Downcall.rethrow(t);
        }
    }

    /** Releases the primary context retained before. */
    public static int cuDevicePrimaryCtxRelease(int dev) {
        try {
            return (int) H.cuDevicePrimaryCtxRelease_v2.invokeExact(dev);
        } catch (Throwable t) {
            throw Downcall.rethrow(t);
        }
    }

    /** Binds ctx to the calling thread. */
    public static int cuCtxSetCurrent(MemorySegment ctx) {
        requireAlive("cuCtxSetCurrent");
        try {
            return (int) H.cuCtxSetCurrent.invokeExact(ctx);
        } catch (Throwable t) {
            throw Downcall.rethrow(t);
        }
    }

    /** The calling thread's context (NULL if none). */
    public static int cuCtxGetCurrent(MemorySegment pctx) {
        try {
            return (int) H.cuCtxGetCurrent.invokeExact(pctx);
        } catch (Throwable t) {
            throw Downcall.rethrow(t);
        }
    }

    /** Waits for all work of the current context. */
    public static int cuCtxSynchronize() {
        requireAlive("cuCtxSynchronize");
        try {
            return (int) H.cuCtxSynchronize.invokeExact();
        } catch (Throwable t) {
            throw Downcall.rethrow(t);
        }
    }

    /** Device allocation; the CUdeviceptr is written to dptr. */
    public static int cuMemAlloc(MemorySegment dptr, long bytesize) {
        requireAlive("cuMemAlloc");
        try {
            return (int) H.cuMemAlloc_v2.invokeExact(dptr, bytesize);
        } catch (Throwable t) {
            throw Downcall.rethrow(t);
        }
    }

    /** Frees a cuMemAlloc allocation. */
    public static int cuMemFree(long dptr) {
        requireAlive("cuMemFree");
        try {
            return (int) H.cuMemFree_v2.invokeExact(dptr);
        } catch (Throwable t) {
            throw Downcall.rethrow(t);
        }
    }

    /** Sets n bytes. */
    public static int cuMemsetD8(long dstDevice, byte uc, long n) {
        requireAlive("cuMemsetD8");
        try {
            return (int) H.cuMemsetD8_v2.invokeExact(dstDevice, uc, n);
        } catch (Throwable t) {
            throw Downcall.rethrow(t);
        }
    }

    /** Sets n 32-bit words. */
    public static int cuMemsetD32(long dstDevice, int ui, long n) {
        requireAlive("cuMemsetD32");
        try {
            return (int) H.cuMemsetD32_v2.invokeExact(dstDevice, ui, n);
        } catch (Throwable t) {
            throw Downcall.rethrow(t);
        }
    }

    /** Sets n bytes, on a stream. */
    public static int cuMemsetD8Async(long dstDevice, byte uc, long n, MemorySegment hStream) {
        requireAlive("cuMemsetD8Async");
        try {
            return (int) H.cuMemsetD8Async.invokeExact(dstDevice, uc, n, hStream);
        } catch (Throwable t) {
            throw Downcall.rethrow(t);
        }
    }

    /** Sets n 32-bit words, on a stream. */
    public static int cuMemsetD32Async(long dstDevice, int ui, long n, MemorySegment hStream) {
        requireAlive("cuMemsetD32Async");
        try {
            return (int) H.cuMemsetD32Async.invokeExact(dstDevice, ui, n, hStream);
        } catch (Throwable t) {
            throw Downcall.rethrow(t);
        }
    }

    /** Host to device copy. */
    public static int cuMemcpyHtoD(long dstDevice, MemorySegment srcHost, long byteCount) {
        requireAlive("cuMemcpyHtoD");
        try {
            return (int) H.cuMemcpyHtoD_v2.invokeExact(dstDevice, srcHost, byteCount);
        } catch (Throwable t) {
            throw Downcall.rethrow(t);
        }
    }

    /** Device to host copy. */
    public static int cuMemcpyDtoH(MemorySegment dstHost, long srcDevice, long byteCount) {
        requireAlive("cuMemcpyDtoH");
        try {
            return (int) H.cuMemcpyDtoH_v2.invokeExact(dstHost, srcDevice, byteCount);
        } catch (Throwable t) {
            throw Downcall.rethrow(t);
        }
    }

    /** Device to device copy. */
    public static int cuMemcpyDtoD(long dstDevice, long srcDevice, long byteCount) {
        requireAlive("cuMemcpyDtoD");
        try {
            return (int) H.cuMemcpyDtoD_v2.invokeExact(dstDevice, srcDevice, byteCount);
        } catch (Throwable t) {
            throw Downcall.rethrow(t);
        }
    }

    /** Host to device copy on a stream (asynchronous only from pinned memory). */
    public static int cuMemcpyHtoDAsync(long dstDevice, MemorySegment srcHost, long byteCount, MemorySegment hStream) {
        requireAlive("cuMemcpyHtoDAsync");
        try {
            return (int) H.cuMemcpyHtoDAsync_v2.invokeExact(dstDevice, srcHost, byteCount, hStream);
        } catch (Throwable t) {
            throw Downcall.rethrow(t);
        }
    }

    /** Device to host copy on a stream. */
    public static int cuMemcpyDtoHAsync(MemorySegment dstHost, long srcDevice, long byteCount, MemorySegment hStream) {
        requireAlive("cuMemcpyDtoHAsync");
        try {
            return (int) H.cuMemcpyDtoHAsync_v2.invokeExact(dstHost, srcDevice, byteCount, hStream);
        } catch (Throwable t) {
            throw Downcall.rethrow(t);
        }
    }

    /** Device to device copy on a stream. */
    public static int cuMemcpyDtoDAsync(long dstDevice, long srcDevice, long byteCount, MemorySegment hStream) {
        requireAlive("cuMemcpyDtoDAsync");
        try {
            return (int) H.cuMemcpyDtoDAsync_v2.invokeExact(dstDevice, srcDevice, byteCount, hStream);
        } catch (Throwable t) {
            throw Downcall.rethrow(t);
        }
    }

    /** Page-locked host allocation (CU_MEMHOSTALLOC_* flags). */
    public static int cuMemHostAlloc(MemorySegment pp, long bytesize, int flags) {
        requireAlive("cuMemHostAlloc");
        try {
            return (int) H.cuMemHostAlloc.invokeExact(pp, bytesize, flags);
        } catch (Throwable t) {
            throw Downcall.rethrow(t);
        }
    }

    /** Frees a cuMemHostAlloc allocation. */
    public static int cuMemFreeHost(MemorySegment p) {
        requireAlive("cuMemFreeHost");
        try {
            return (int) H.cuMemFreeHost.invokeExact(p);
        } catch (Throwable t) {
            throw Downcall.rethrow(t);
        }
    }

    /** Page-locks existing host memory. */
    public static int cuMemHostRegister(MemorySegment p, long bytesize, int flags) {
        requireAlive("cuMemHostRegister");
        try {
            return (int) H.cuMemHostRegister_v2.invokeExact(p, bytesize, flags);
        } catch (Throwable t) {
            throw Downcall.rethrow(t);
        }
    }

    /** Undoes cuMemHostRegister. */
    public static int cuMemHostUnregister(MemorySegment p) {
        requireAlive("cuMemHostUnregister");
        try {
            return (int) H.cuMemHostUnregister.invokeExact(p);
        } catch (Throwable t) {
            throw Downcall.rethrow(t);
        }
    }

    /** A new stream (CU_STREAM_* flags). */
    public static int cuStreamCreate(MemorySegment phStream, int flags) {
        requireAlive("cuStreamCreate");
        try {
            return (int) H.cuStreamCreate.invokeExact(phStream, flags);
        } catch (Throwable t) {
            throw Downcall.rethrow(t);
        }
    }

    /** Destroys a stream once its work is done. */
    public static int cuStreamDestroy(MemorySegment hStream) {
        requireAlive("cuStreamDestroy");
        try {
            return (int) H.cuStreamDestroy_v2.invokeExact(hStream);
        } catch (Throwable t) {
            throw Downcall.rethrow(t);
        }
    }

    /** Waits for a stream's work. */
    public static int cuStreamSynchronize(MemorySegment hStream) {
        requireAlive("cuStreamSynchronize");
        try {
            return (int) H.cuStreamSynchronize.invokeExact(hStream);
        } catch (Throwable t) {
            throw Downcall.rethrow(t);
        }
    }

    /** Makes later work of hStream wait for hEvent. */
    public static int cuStreamWaitEvent(MemorySegment hStream, MemorySegment hEvent, int flags) {
        requireAlive("cuStreamWaitEvent");
        try {
            return (int) H.cuStreamWaitEvent.invokeExact(hStream, hEvent, flags);
        } catch (Throwable t) {
            throw Downcall.rethrow(t);
        }
    }

    /** A new event (CU_EVENT_* flags). */
    public static int cuEventCreate(MemorySegment phEvent, int flags) {
        requireAlive("cuEventCreate");
        try {
            return (int) H.cuEventCreate.invokeExact(phEvent, flags);
        } catch (Throwable t) {
            throw Downcall.rethrow(t);
        }
    }

    /** Destroys an event. */
    public static int cuEventDestroy(MemorySegment hEvent) {
        requireAlive("cuEventDestroy");
        try {
            return (int) H.cuEventDestroy_v2.invokeExact(hEvent);
        } catch (Throwable t) {
            throw Downcall.rethrow(t);
        }
    }

    /** Records an event on a stream. */
    public static int cuEventRecord(MemorySegment hEvent, MemorySegment hStream) {
        requireAlive("cuEventRecord");
        try {
            return (int) H.cuEventRecord.invokeExact(hEvent, hStream);
        } catch (Throwable t) {
            throw Downcall.rethrow(t);
        }
    }

    /** Waits for an event. */
    public static int cuEventSynchronize(MemorySegment hEvent) {
        requireAlive("cuEventSynchronize");
        try {
            return (int) H.cuEventSynchronize.invokeExact(hEvent);
        } catch (Throwable t) {
            throw Downcall.rethrow(t);
        }
    }

    /** Milliseconds (float) between two recorded events. Drivers before CUDA 12.8 lack _v2 and get the original symbol, which has the same signature. */
    public static int cuEventElapsedTime(MemorySegment pMilliseconds, MemorySegment hStart, MemorySegment hEnd) {
        requireAlive("cuEventElapsedTime");
        try {
            return (int) H.cuEventElapsedTime_v2.invokeExact(pMilliseconds, hStart, hEnd);
        } catch (Throwable t) {
            throw Downcall.rethrow(t);
        }
    }

    /** Loads a module from PTX text or a cubin, with JIT options (CU_JIT_*). */
    public static int cuModuleLoadDataEx(MemorySegment module, MemorySegment image, int numOptions, MemorySegment options, MemorySegment optionValues) {
        requireAlive("cuModuleLoadDataEx");
        try {
            return (int) H.cuModuleLoadDataEx.invokeExact(module, image, numOptions, options, optionValues);
        } catch (Throwable t) {
            throw Downcall.rethrow(t);
        }
    }

    /** Unloads a module. */
    public static int cuModuleUnload(MemorySegment hmod) {
        requireAlive("cuModuleUnload");
        try {
            return (int) H.cuModuleUnload.invokeExact(hmod);
        } catch (Throwable t) {
            throw Downcall.rethrow(t);
        }
    }

    /** A kernel of a module, by its (NUL-terminated) name. */
    public static int cuModuleGetFunction(MemorySegment hfunc, MemorySegment hmod, MemorySegment name) {
        requireAlive("cuModuleGetFunction");
        try {
            return (int) H.cuModuleGetFunction.invokeExact(hfunc, hmod, name);
        } catch (Throwable t) {
            throw Downcall.rethrow(t);
        }
    }

    /** Sets a CU_FUNC_ATTRIBUTE_* (e.g. the dynamic shared memory limit). */
    public static int cuFuncSetAttribute(MemorySegment hfunc, int attrib, int value) {
        requireAlive("cuFuncSetAttribute");
        try {
            return (int) H.cuFuncSetAttribute.invokeExact(hfunc, attrib, value);
        } catch (Throwable t) {
            throw Downcall.rethrow(t);
        }
    }

    /** Launches a kernel; kernelParams is an array of pointers to each argument's value. */
    public static int cuLaunchKernel(MemorySegment f, int gridDimX, int gridDimY, int gridDimZ, int blockDimX, int blockDimY, int blockDimZ, int sharedMemBytes, MemorySegment hStream, MemorySegment kernelParams, MemorySegment extra) {
        requireAlive("cuLaunchKernel");
        try {
            return (int) H.cuLaunchKernel.invokeExact(f, gridDimX, gridDimY, gridDimZ, blockDimX, blockDimY, blockDimZ, sharedMemBytes, hStream, kernelParams, extra);
        } catch (Throwable t) {
            throw Downcall.rethrow(t);
        }
    }

    /** The CUresult's enum name (const char* written to pStr). */
    public static int cuGetErrorName(int error, MemorySegment pStr) {
        try {
            return (int) H.cuGetErrorName.invokeExact(error, pStr);
        } catch (Throwable t) {
            throw Downcall.rethrow(t);
        }
    }

    /** The CUresult's description (const char* written to pStr). */
    public static int cuGetErrorString(int error, MemorySegment pStr) {
        try {
            return (int) H.cuGetErrorString.invokeExact(error, pStr);
        } catch (Throwable t) {
            throw Downcall.rethrow(t);
        }
    }

    // ---- status checking --------------------------------------------------------------------------

    /**
     * Throws a {@link CudaException} for a non-zero {@code rc}, naming {@code call} and the status's
     * name and description; a sticky error is also remembered so later calls fail fast.
     */
    public static void check(int rc, String call) {
        if (rc == CUDA_SUCCESS) {
            return;
        }
        CudaException e = new CudaException(call, rc, errorName(rc), errorString(rc));
        if (STICKY_ERRORS.contains(rc) && stickyError == null) {
            stickyError = e;
        }
        throw e;
    }

    /** The first sticky error of this process, or null if the context is healthy. */
    public static CudaException stickyError() {
        return stickyError;
    }

    /** Throws, without calling the driver, when an earlier sticky error made the context unusable. */
    public static void requireAlive(String call) {
        CudaException first = stickyError;
        if (first != null) {
            throw new CudaException(call, first.status(), first.statusName(),
                    "not called: the CUDA context died earlier with " + first.getMessage());
        }
    }

    /** The CUresult's enum name, e.g. CUDA_ERROR_OUT_OF_MEMORY, or "CUresult n" if the driver does not know it. */
    public static String errorName(int rc) {
        return describe(rc, true);
    }

    /** The CUresult's description from the driver. */
    public static String errorString(int rc) {
        return describe(rc, false);
    }

    private static String describe(int rc, boolean name) {
        try (Arena a = Arena.ofConfined()) {
            MemorySegment p = a.allocate(ValueLayout.ADDRESS);
            int r = name ? cuGetErrorName(rc, p) : cuGetErrorString(rc, p);
            MemorySegment s = p.get(ValueLayout.ADDRESS, 0);
            if (r != CUDA_SUCCESS || s.equals(MemorySegment.NULL)) {
                return "CUresult " + rc;
            }
            return s.reinterpret(4096).getString(0);
        }
    }
}
