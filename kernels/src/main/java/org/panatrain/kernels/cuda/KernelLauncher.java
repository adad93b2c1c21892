// Launches the PTX kernels on one stream: checks the arguments against the kernel's PTX signature,
// packs them into KernelArgs and launches through CudaFunction (which checks the launch's status),
// and sizes grids from the device's limits. With -Dpanatrain.cuda.syncEachLaunch=true
// it also synchronizes after every launch, so an asynchronous fault names the kernel that caused it
// (slow; for debugging). Leaves out which kernel to run and why (CudaKernels).
package org.panatrain.kernels.cuda;

import java.util.List;
import java.util.Map;
import org.panatrain.bindings.CudaStream;
import org.panatrain.memory.DeviceMemory;
import org.panatrain.memory.Tensor;

/** Launches kernels by entry-point name on one stream. */
final class KernelLauncher implements AutoCloseable {
    /** Threads per block of the grid-stride and row kernels: 8 warps, a size every GPU since sm_30 runs well. */
    static final int BLOCK = 256;
    /** Blocks per SM that a grid-stride launch asks for at most: enough to hide latency, few enough to loop. */
    private static final int BLOCKS_PER_SM = 16;

    private final PtxModules modules;
    private final Map<String, KernelSignature> signatures = KernelSignature.ofAllKernels();
    private final CudaStream stream;
    private final KernelArgs kernelArgs = new KernelArgs(); // reused by every launch (one thread at a time)
    private final int smCount;
    private final int maxThreadsPerBlock;
    private final boolean syncEachLaunch = Boolean.getBoolean("panatrain.cuda.syncEachLaunch");

    /** A launch shape: grid (x, y) of blocks of {@code block} threads. */
    record Grid(int x, int y, int block) {
        Grid {
            if (x < 1 || y < 1 || block < 1) {
                throw new IllegalArgumentException("empty launch grid (" + x + ", " + y + ") x " + block);
            }
        }
    }

    KernelLauncher(PtxModules modules, CudaStream stream, int smCount, int maxThreadsPerBlock) {
        this.modules = modules;
        this.stream = stream;
        this.smCount = smCount;
        this.maxThreadsPerBlock = maxThreadsPerBlock;
    }

    /** A grid-stride launch over {@code work} items: enough blocks to fill the device, never more than the work. */
    Grid gridStride(long work) {
        long blocks = Math.max(1, Math.min(ceilDiv(work, BLOCK), (long) smCount * BLOCKS_PER_SM));
        return new Grid((int) blocks, 1, BLOCK);
    }

    /** One warp per row, BLOCK / 32 rows per block. */
    Grid warpPerRow(long rows) {
        return new Grid(Math.toIntExact(Math.max(1, ceilDiv(rows * 32, BLOCK))), 1, BLOCK);
    }

    /** The largest block (a multiple of 32, at most 1024) the device allows: for one-block-per-row kernels. */
    int largeBlock() {
        return Math.min(1024, maxThreadsPerBlock / 32 * 32);
    }

    static long ceilDiv(long a, long b) {
        return (a + b - 1) / b;
    }

    /**
     * Launches {@code symbol}. Arguments: a device Tensor (its address), null (a NULL pointer), Long
     * (a pointer or a 64-bit integer), Integer, Float; their kinds must match the PTX parameters.
     */
    void launch(String symbol, Grid grid, Object... args) {
        KernelSignature signature = signatures.get(symbol);
        if (signature == null) {
            throw new IllegalArgumentException("no CUDA kernel named " + symbol);
        }
        checkArguments(signature, args);
        kernelArgs.clear();
        for (Object arg : args) {
            switch (arg) {
                case null -> kernelArgs.i64(0L);
                case Tensor t -> kernelArgs.pointer(t);
                case Long l -> kernelArgs.i64(l);
                case Integer n -> kernelArgs.i32(n);
                case Float f -> kernelArgs.f32(f);
                default -> throw new IllegalArgumentException("kernel argument of type " + arg.getClass());
            }
        }
        modules.function(symbol).launch(grid.x(), grid.y(), 1, grid.block(), 1, 1, 0, stream, kernelArgs);
        if (syncEachLaunch) {
            stream.synchronize();
        }
    }

    /** The device address of a live device tensor. */
    static long address(Tensor t) {
        return DeviceMemory.devicePointer(t, "a CUDA kernel");
    }

    /** Frees the argument buffer. */
    @Override
    public void close() {
        kernelArgs.close();
    }

    private static void checkArguments(KernelSignature signature, Object[] args) {
        List<KernelSignature.Kind> want = signature.params();
        if (want.size() != args.length) {
            throw new IllegalArgumentException(signature.name() + " takes " + want.size() + " arguments, got " + args.length);
        }
        for (int i = 0; i < args.length; i++) {
            KernelSignature.Kind have = switch (args[i]) {
                case null -> KernelSignature.Kind.B64;
                case Tensor t -> KernelSignature.Kind.B64;
                case Long l -> KernelSignature.Kind.B64;
                case Integer n -> KernelSignature.Kind.I32;
                case Float f -> KernelSignature.Kind.F32;
                default -> throw new IllegalArgumentException("kernel argument of type " + args[i].getClass());
            };
            if (have != want.get(i)) {
                throw new IllegalArgumentException(signature.name() + " argument " + i + " must be " + want.get(i) + ", got " + have);
            }
        }
    }
}
