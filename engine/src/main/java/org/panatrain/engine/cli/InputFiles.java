// Checks on files named on the command line before they are opened, so that a missing file is
// bad input (exit 2, "<file>: no such file") rather than an I/O failure.
package org.panatrain.engine.cli;

import java.nio.file.Files;
import java.nio.file.Path;
import org.panatrain.engine.io.BadInputException;

/** Existence checks for input files. */
final class InputFiles {
    private InputFiles() {
    }

    static Path existing(Path file) {
        if (!Files.exists(file)) {
            throw new BadInputException(file, "no such file");
        }
        if (!Files.isRegularFile(file) || !Files.isReadable(file)) {
            throw new BadInputException(file, "not a readable file");
        }
        return file;
    }
}
