// One kernel of a loaded module and its launch: the FFM downcall cuLaunchKernel with the
// arguments of a reused KernelArgs block, so a launch allocates nothing. It leaves out
// cooperative launches and launch attributes (clusters).
package org.panatrain.kernels.cuda;

import java.lang.foreign.MemorySegment;
import org.panatrain.bindings.CudaDriver;
import org.panatrain.bindings.CudaStream;

/**
 * A kernel, valid while its module is open.
 *
 * <pre>{@code
 * args.clear().pointer(out).pointer(inp).i32(n);
 * f.launch((n + 255) / 256, 1, 1, 256, 1, 1, 0, stream, args);
 * }</pre>
 */
public final class CudaFunction {
    private final String name;
    private final MemorySegment handle; // CUfunction
    private final CudaModule module;

    CudaFunction(String name, MemorySegment handle, CudaModule module) {
        this.name = name;
        this.handle = handle;
        this.module = module;
    }

    /** Queues the kernel on {@code stream} with a grid of blocks and {@code sharedBytes} of dynamic shared memory. */
    public void launch(int gridX, int gridY, int gridZ, int blockX, int blockY, int blockZ, int sharedBytes,
                       CudaStream stream, KernelArgs args) {
        if (!module.isOpen()) {
            throw new IllegalStateException("kernel " + name + " launched after its module " + module.name() + " was closed");
        }
        int rc = CudaDriver.cuLaunchKernel(handle, gridX, gridY, gridZ, blockX, blockY, blockZ, sharedBytes,
                stream.handle(), args.kernelParams(), MemorySegment.NULL);
        if (rc != CudaDriver.CUDA_SUCCESS) {
            CudaDriver.check(rc, "cuLaunchKernel(" + name + ", grid " + gridX + "x" + gridY + "x" + gridZ
                    + ", block " + blockX + "x" + blockY + "x" + blockZ + ", shared " + sharedBytes + ")");
        }
    }

    /** Allows up to {@code bytes} of dynamic shared memory (above 48 KiB needs this). */
    public void setMaxDynamicSharedMemory(int bytes) {
        CudaDriver.check(CudaDriver.cuFuncSetAttribute(handle, CudaDriver.CU_FUNC_ATTRIBUTE_MAX_DYNAMIC_SHARED_SIZE_BYTES, bytes),
                "cuFuncSetAttribute(" + name + ", MAX_DYNAMIC_SHARED_SIZE_BYTES, " + bytes + ")");
    }

    public String name() {
        return name;
    }
}
