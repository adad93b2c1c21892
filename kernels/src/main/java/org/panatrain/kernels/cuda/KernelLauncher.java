// Launches the PTX kernels on one stream: packs the arguments the way cuLaunchKernel wants them
// (an array of pointers to each value), checks them against the kernel's PTX signature, checks the
// launch's status, and sizes grids from the device's limits. With -Dpanatrain.cuda.syncEachLaunch=true
// it also synchronizes after every launch, so an asynchronous fault names the kernel that caused it
// (slow; for debugging). Leaves out which kernel to run and why (CudaKernels).
package org.panatrain.kernels.cuda;

import static org.panatrain.bindings.CudaDriver.check;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.util.List;
import java.util.Map;
import org.panatrain.bindings.CudaDriver;
import org.panatrain.memory.Tensor;

/** Launches kernels by entry-point name on one stream. */
final class KernelLauncher {
    /** Threads per block of the grid-stride and row kernels: 8 warps, a size every GPU since sm_30 runs well. */
    static final int BLOCK = 256;
    /** Blocks per SM that a grid-stride launch asks for at most: enough to hide latency, few enough to loop. */
    private static final int BLOCKS_PER_SM = 16;

    private final PtxModules modules;
    private final Map<String, KernelSignature> signatures = KernelSignature.ofAllKernels();
    private final MemorySegment stream;  // CUstream; NULL is the context's default stream
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

    KernelLauncher(PtxModules modules, MemorySegment stream, int smCount, int maxThreadsPerBlock) {
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
        try (Arena a = Arena.ofConfined()) {
            MemorySegment values = a.allocate(8L * args.length, 8);
            MemorySegment pointers = a.allocate(ValueLayout.ADDRESS, Math.max(1, args.length));
            for (int i = 0; i < args.length; i++) {
                MemorySegment slot = values.asSlice(8L * i, 8);
                switch (args[i]) {
                    case null -> slot.set(ValueLayout.JAVA_LONG, 0, 0L);
                    case Tensor t -> slot.set(ValueLayout.JAVA_LONG, 0, address(t));
                    case Long l -> slot.set(ValueLayout.JAVA_LONG, 0, l);
                    case Integer n -> slot.set(ValueLayout.JAVA_INT, 0, n);
                    case Float f -> slot.set(ValueLayout.JAVA_FLOAT, 0, f);
                    default -> throw new IllegalArgumentException("kernel argument of type " + args[i].getClass());
                }
                pointers.setAtIndex(ValueLayout.ADDRESS, i, slot);
            }
            String call = "cuLaunchKernel(" + symbol + ", grid " + grid.x() + "x" + grid.y() + ", block " + grid.block() + ")";
            check(CudaDriver.cuLaunchKernel(modules.function(symbol), grid.x(), grid.y(), 1, grid.block(), 1, 1, 0,
                    stream, pointers, MemorySegment.NULL), call);
            if (syncEachLaunch) {
                check(CudaDriver.cuStreamSynchronize(stream), "cuStreamSynchronize after " + call);
            }
        }
    }

    /** The device address of a device tensor. */
    static long address(Tensor t) {
        if (t.location() != Tensor.Location.DEVICE) {
            throw new IllegalArgumentException("the CUDA backend needs device tensors, got a " + t);
        }
        if (!t.data().scope().isAlive()) {
            throw new IllegalStateException("a " + t + " tensor was used after its device arena closed");
        }
        return t.data().address();
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
