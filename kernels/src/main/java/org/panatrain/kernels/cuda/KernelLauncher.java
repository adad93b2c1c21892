// Launches the PTX kernels on one stream: checks the arguments against the kernel's PTX signature,
// packs them into KernelArgs and launches through CudaFunction (which checks the launch's status),
// all through objects made once, so that a launch allocates nothing; and sizes grids from the
// device's limits (LaunchGrids). With -Dpanatrain.cuda.syncEachLaunch=true
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
    /** Threads per block of the grid-stride and row kernels (LaunchGrids.BLOCK). */
    static final int BLOCK = LaunchGrids.BLOCK;

    private final PtxModules modules;
    private final Map<String, KernelSignature> signatures = KernelSignature.ofAllKernels();
    private final CudaStream stream;
    private final KernelArgs kernelArgs = new KernelArgs(); // reused by every launch (one thread at a time)
    private final Launch launch = new Launch();            // likewise
    private final int smCount;
    private final int maxThreadsPerBlock;
    private final boolean syncEachLaunch = Boolean.getBoolean("panatrain.cuda.syncEachLaunch");

    KernelLauncher(PtxModules modules, CudaStream stream, int smCount, int maxThreadsPerBlock) {
        this.modules = modules;
        this.stream = stream;
        this.smCount = smCount;
        this.maxThreadsPerBlock = maxThreadsPerBlock;
    }

    /**
     * Starts a grid-stride launch of {@code symbol} over {@code work} items: enough blocks to fill
     * the device, never more than the work.
     */
    Launch gridStride(String symbol, long work) {
        return kernel(symbol, LaunchGrids.gridStrideBlocks(work, smCount), 1, BLOCK);
    }

    /** Starts a launch of {@code symbol} with one warp per row, BLOCK / 32 rows per block. */
    Launch warpPerRow(String symbol, long rows) {
        return kernel(symbol, LaunchGrids.warpPerRowBlocks(rows), 1, BLOCK);
    }

    /** The largest block (a multiple of 32, at most 1024) the device allows: for one-block-per-row kernels. */
    int largeBlock() {
        return Math.min(1024, maxThreadsPerBlock / 32 * 32);
    }

    static long ceilDiv(long a, long b) {
        return LaunchGrids.ceilDiv(a, b);
    }

    /**
     * Starts a launch of {@code symbol} on a grid of (gridX, gridY) blocks of {@code block} threads:
     * add the arguments in PTX order with {@link Launch#arg}, each checked against the kernel's
     * parameter kinds, then {@link Launch#go}. The Launch is this launcher's one reused object and
     * the grid is plain ints, so a launch allocates nothing (no grid object, no varargs array, no
     * boxed numbers); one launch at a time.
     *
     * <pre>{@code
     * launcher.gridStride(PtxKernel.SCALE.symbol(t.dtype()), packs(t)).arg(t).arg(t.numel()).arg(factor).go();
     * launcher.kernel(PtxKernel.GLOBAL_NORM_FINAL.base, 1, 1, 1024).arg(out).arg(partials).arg(count).go();
     * }</pre>
     */
    Launch kernel(String symbol, int gridX, int gridY, int block) {
        if (gridX < 1 || gridY < 1 || block < 1) {
            throw new IllegalArgumentException("empty launch grid (" + gridX + ", " + gridY + ") x " + block + " for " + symbol);
        }
        KernelSignature signature = signatures.get(symbol);
        if (signature == null) {
            throw new IllegalArgumentException("no CUDA kernel named " + symbol);
        }
        kernelArgs.clear();
        launch.signature = signature;
        launch.gridX = gridX;
        launch.gridY = gridY;
        launch.block = block;
        return launch;
    }

    /** The launch being assembled: its kernel, grid and, in {@link #kernelArgs}, the arguments so far. */
    final class Launch {
        private KernelSignature signature;
        private int gridX;
        private int gridY;
        private int block;

        private Launch() {
        }

        /** A device tensor's address, or NULL for null. */
        Launch arg(Tensor deviceTensor) {
            expect(KernelSignature.Kind.B64);
            if (deviceTensor == null) {
                kernelArgs.i64(0L);
            } else {
                kernelArgs.pointer(deviceTensor);
            }
            return this;
        }

        /** A 64-bit integer or a raw device address. */
        Launch arg(long value) {
            expect(KernelSignature.Kind.B64);
            kernelArgs.i64(value);
            return this;
        }

        /** A 32-bit integer. */
        Launch arg(int value) {
            expect(KernelSignature.Kind.I32);
            kernelArgs.i32(value);
            return this;
        }

        /** A float. */
        Launch arg(float value) {
            expect(KernelSignature.Kind.F32);
            kernelArgs.f32(value);
            return this;
        }

        /** Queues the kernel with the arguments given (all of them: their count is checked). */
        void go() {
            int want = signature.params().size();
            if (kernelArgs.count() != want) {
                throw new IllegalArgumentException(signature.name() + " takes " + want + " arguments, got " + kernelArgs.count());
            }
            modules.function(signature.name()).launch(gridX, gridY, 1, block, 1, 1, 0, stream, kernelArgs);
            if (syncEachLaunch) {
                stream.synchronize();
            }
        }

        private void expect(KernelSignature.Kind have) {
            List<KernelSignature.Kind> want = signature.params();
            int i = kernelArgs.count();
            if (i >= want.size()) {
                throw new IllegalArgumentException(signature.name() + " takes " + want.size() + " arguments, got more");
            }
            if (have != want.get(i)) {
                throw new IllegalArgumentException(signature.name() + " argument " + i + " must be " + want.get(i) + ", got " + have);
            }
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
}
