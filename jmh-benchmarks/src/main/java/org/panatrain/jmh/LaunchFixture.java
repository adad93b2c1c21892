// An empty PTX kernel, loaded and ready to launch, and the cheapest driver call there is
// (cuCtxGetCurrent): what the launch-overhead measurements time. It leaves out argument setup
// beyond one pointer.
package org.panatrain.jmh;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import org.panatrain.bindings.CudaDriver;
import org.panatrain.kernels.cuda.CudaContext;
import org.panatrain.kernels.cuda.CudaFunction;
import org.panatrain.kernels.cuda.CudaModule;
import org.panatrain.kernels.cuda.KernelArgs;

final class LaunchFixture implements AutoCloseable {
    /** empty(u64 p): returns at once. PTX ISA 7.0 for sm_75 and newer. */
    static final String EMPTY_PTX = """
            .version 7.0
            .target sm_75
            .address_size 64
            .visible .entry empty(.param .u64 p)
            {
                ret;
            }
            """;

    private final CudaContext cuda;
    private final CudaModule module;
    private final CudaFunction empty;
    private final KernelArgs args = new KernelArgs();
    private final Arena arena = Arena.ofConfined();
    private final MemorySegment current = arena.allocate(ValueLayout.ADDRESS);

    LaunchFixture(CudaContext cuda) {
        this.cuda = cuda;
        this.module = CudaModule.load("empty", EMPTY_PTX);
        this.empty = module.function("empty");
        args.clear().i64(0);
    }

    /** One FFM downcall into the driver that does no work. */
    int downcall() {
        return CudaDriver.cuCtxGetCurrent(current);
    }

    /** One launch of the empty kernel on the context's stream. */
    void launch() {
        empty.launch(1, 1, 1, 32, 1, 1, 0, cuda.stream(), args);
    }

    @Override
    public void close() {
        cuda.synchronize();
        args.close();
        module.close();
        arena.close();
    }
}
