// What a training run says when it cannot go on: a non-finite loss (diverged: nothing to skip, since
// loss scaling only skips steps whose gradients overflow, never a non-finite forward loss) and a
// sticky CUDA error (the context and every device buffer are lost, so nothing may be checkpointed
// from them). Each becomes one IllegalStateException line naming the step, the last good
// checkpoint and what to try. Leaves out recovering in-process: a sticky error needs a new process.
package org.panatrain.engine.train;

import java.nio.file.Path;
import org.panatrain.bindings.CudaDriver;
import org.panatrain.bindings.CudaException;

/**
 * The trainer's fault messages.
 *
 * <pre>{@code
 * if (!Float.isFinite(loss)) throw TrainingFaults.diverged(step, loss, lastCheckpoint);
 * }</pre>
 */
public final class TrainingFaults {
    private TrainingFaults() {
    }

    /** The error for a non-finite loss at {@code step}; {@code lastCheckpoint} may be null (none). */
    public static IllegalStateException diverged(int step, float loss, Path lastCheckpoint) {
        return new IllegalStateException("training diverged: loss " + loss + " at step " + step
                + "; last good checkpoint: " + (lastCheckpoint == null ? "none" : lastCheckpoint)
                + "; try a lower --lr, a smaller --clip, or --precision bf16/fp32"
                + (lastCheckpoint == null ? "" : ", and --resume from the checkpoint"));
    }

    /**
     * The first sticky CUDA error of this process, when {@code e} is one or came after one; null
     * when the context is still usable (an ordinary error, such as out of memory).
     */
    public static CudaException stickyCause(CudaException e) {
        CudaException first = CudaDriver.stickyError();
        if (first != null) {
            return first;
        }
        return CudaDriver.STICKY_ERRORS.contains(e.status()) ? e : null;
    }

    /** The error for a sticky CUDA error {@code cause} during step {@code step}. */
    public static IllegalStateException deviceLost(int step, CudaException cause, Path lastCheckpoint) {
        return new IllegalStateException("the GPU failed at step " + step + " with a sticky error, " + cause.getMessage()
                + "; its state is lost, so no checkpoint was written; last good checkpoint: "
                + (lastCheckpoint == null ? "none" : lastCheckpoint + " (--resume from it in a new run)"), cause);
    }

    /** Throws {@link #deviceLost} when an earlier sticky error made the device's buffers unreadable. */
    static void requireHealthyDevice(int step, Path lastCheckpoint) {
        CudaException first = CudaDriver.stickyError();
        if (first != null) {
            throw deviceLost(step, first, lastCheckpoint);
        }
    }
}
