// A command line the CLI cannot act on: unknown command or option, a missing or malformed value.
// Main prints its message as one line prefixed with the command and exits with status 2.
package org.panatrain.engine.cli;

/** Bad usage of the command line; the message is one line without the "panatrain CMD:" prefix. */
public final class UsageException extends RuntimeException {
    private static final long serialVersionUID = 1L;

    public UsageException(String message) {
        super(message);
    }
}
