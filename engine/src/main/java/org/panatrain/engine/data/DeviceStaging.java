// The CUDA half of the ShardLoader: each slot of its ring gets pinned host buffers (inputs and
// targets, INT32) and device buffers of the same size. The loader thread copies a prepared batch
// into the slot's pinned buffers and queues the host-to-device copy on a copy stream of its own
// (cuMemcpyHtoDAsync), recording an event; the training thread makes the backend's stream wait for
// that event (cuStreamWaitEvent) and copies the slot's device buffers into the step's token
// tensors on that stream (device to device, B*T*4 bytes each), recording a second event that the
// copy stream waits for before it overwrites the slot. Neither thread blocks on a copy, except the
// loader thread before it reuses a slot's pinned buffers (that slot's copy, K batches ago, has long
// finished). Leaves out the CPU backend (the loader hands out int arrays there) and more than one
// device.
package org.panatrain.engine.data;

import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import org.panatrain.bindings.CudaDriver;
import org.panatrain.bindings.CudaEvent;
import org.panatrain.bindings.CudaStream;
import org.panatrain.kernels.Kernels;
import org.panatrain.kernels.cuda.CudaContext;
import org.panatrain.kernels.cuda.CudaKernels;
import org.panatrain.memory.DType;
import org.panatrain.memory.DeviceArena;
import org.panatrain.memory.DeviceMemory;
import org.panatrain.memory.PinnedHostArena;
import org.panatrain.memory.Tensor;

/** Pinned and device buffers per ring slot, a copy stream and the events that order it with the backend's stream. */
final class DeviceStaging implements AutoCloseable {

    /** One slot's buffers and events. */
    private record Slot(Tensor pinnedInputs, Tensor pinnedTargets, Tensor deviceInputs, Tensor deviceTargets,
                        CudaEvent copied, CudaEvent released) {
    }

    private final CudaContext context;
    private final CudaStream compute;   // the backend's stream, which the step runs on
    private final CudaStream copies;    // this loader's host-to-device copies
    private final PinnedHostArena pinned;
    private final DeviceArena device;
    private final Slot[] slots;

    private DeviceStaging(CudaContext context, int slotCount, int batchTokens) {
        this.context = context;
        this.compute = context.stream();
        this.copies = CudaStream.createNonBlocking();   // ordered by events only: never behind the compute queue
        this.pinned = new PinnedHostArena("loader staging");
        this.device = DeviceArena.allocate("loader device batches", 2L * slotCount * batchTokens * Integer.BYTES
                + 2L * slotCount * DeviceArena.ALIGNMENT);
        this.slots = new Slot[slotCount];
        try {
            for (int i = 0; i < slotCount; i++) {
                slots[i] = new Slot(pinned.allocate(DType.INT32, batchTokens), pinned.allocate(DType.INT32, batchTokens),
                        device.allocate(DType.INT32, batchTokens), device.allocate(DType.INT32, batchTokens),
                        CudaEvent.createForOrdering(), CudaEvent.createForOrdering());
            }
        } catch (RuntimeException e) {
            close();
            throw e;
        }
    }

    /**
     * Staging for a ring of {@code slotCount} batches of {@code batchTokens} on {@code kernels}'
     * device, or null when {@code kernels} is not a CUDA backend (the loader then stays on the host).
     * Call on the thread that opened the backend (its context is current there).
     */
    static DeviceStaging forBackend(Kernels kernels, int slotCount, int batchTokens) {
        if (!(kernels instanceof CudaKernels cuda)) {
            return null;
        }
        return new DeviceStaging(cuda.context(), slotCount, batchTokens);
    }

    /** Binds the device's context to the calling thread: the loader thread calls this before {@link #stage}. */
    void attachThread() {
        context.makeCurrent();
    }

    /**
     * Loader thread: copies the batch into slot {@code i}'s pinned buffers and queues their copy to
     * the slot's device buffers on the copy stream, after the training thread has copied the slot's
     * previous batch out.
     */
    void stage(int i, int[] inputs, int[] targets) {
        Slot s = slots[i];
        s.copied().synchronize(); // the slot's previous host-to-device copy has read the pinned buffers
        MemorySegment.copy(inputs, 0, s.pinnedInputs().data(), ValueLayout.JAVA_INT, 0, inputs.length);
        MemorySegment.copy(targets, 0, s.pinnedTargets().data(), ValueLayout.JAVA_INT, 0, targets.length);
        copies.waitFor(s.released());
        DeviceMemory.copyAsync(s.deviceInputs(), s.pinnedInputs(), copies);
        DeviceMemory.copyAsync(s.deviceTargets(), s.pinnedTargets(), copies);
        s.copied().record(copies);
    }

    /**
     * Training thread: orders slot {@code i}'s batch into {@code inputs} and {@code targets} (device
     * INT32 tensors of B*T) before whatever the backend queues next; returns without waiting.
     */
    void deliver(int i, Tensor inputs, Tensor targets) {
        Slot s = slots[i];
        compute.waitFor(s.copied());
        DeviceMemory.copyAsync(inputs, s.deviceInputs(), compute);
        DeviceMemory.copyAsync(targets, s.deviceTargets(), compute);
        s.released().record(compute);
    }

    /** Waits for the queued copies, then frees the buffers, events and the copy stream. */
    @Override
    public void close() {
        try {
            if (CudaDriver.stickyError() == null) { // after a sticky error the context is gone: nothing to wait for
                copies.synchronize();
                compute.synchronize();
            }
        } finally {
            for (Slot s : slots) {
                if (s != null) {
                    s.copied().close();
                    s.released().close();
                }
            }
            device.close();
            pinned.close();
            copies.close();
        }
    }
}
