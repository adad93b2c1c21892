// Ctrl-C during `train`: the first SIGINT only sets a flag that the trainer polls after each step
// (so the step finishes and a checkpoint is written from consistent state); a second one exits at
// once with status 130, as an unhandled SIGINT would. sun.misc.Signal (module jdk.unsupported) is
// the one public way to handle a signal without a shutdown hook, which could not let the step finish.
// Leaves out other signals (SIGTERM keeps the JVM's default: shutdown, no checkpoint).
package org.panatrain.engine.cli;

import java.io.PrintStream;
import sun.misc.Signal;
import sun.misc.SignalHandler;

/**
 * A SIGINT handler installed for the length of a run; closing it restores the previous one.
 *
 * <pre>{@code
 * try (InterruptSignal interrupt = InterruptSignal.install(err)) {
 *     Trainer.train(..., new RunControl(0, null, checkpoints, null, null, interrupt::requested), listener);
 * }
 * }</pre>
 */
final class InterruptSignal implements AutoCloseable {
    private static final Signal INT = new Signal("INT");
    private final SignalHandler previous;
    private volatile boolean requested;

    private InterruptSignal(PrintStream err) {
        previous = Signal.handle(INT, signal -> {
            if (requested) {
                System.exit(130);
            }
            requested = true;
            err.println("interrupt: finishing the current step, then stopping (Ctrl-C again to quit at once)");
        });
    }

    /** Handles SIGINT from now until {@link #close()}. */
    static InterruptSignal install(PrintStream err) {
        return new InterruptSignal(err);
    }

    /** Whether SIGINT arrived. */
    boolean requested() {
        return requested;
    }

    @Override
    public void close() {
        Signal.handle(INT, previous);
    }
}
