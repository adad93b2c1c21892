// The one exception for input files that are wrong: the message names the file and what is wrong,
// in one line, so that the CLI can print it as is (exit status 2, no stack trace).
package org.panatrain.engine.io;

import java.nio.file.Path;

/**
 * A file that cannot be used as given; {@link #getMessage()} is {@code "<file>: <what is wrong>"}.
 *
 * <pre>{@code
 * throw new BadInputException(file, "wrong magic 12345, expected 20240520");
 * }</pre>
 */
public final class BadInputException extends RuntimeException {
    private static final long serialVersionUID = 1L;

    private final transient Path file;

    public BadInputException(Path file, String problem) {
        super(file + ": " + problem);
        this.file = file;
    }

    public BadInputException(Path file, String problem, Throwable cause) {
        super(file + ": " + problem, cause);
        this.file = file;
    }

    /** The file that is wrong. */
    public Path file() {
        return file;
    }
}
