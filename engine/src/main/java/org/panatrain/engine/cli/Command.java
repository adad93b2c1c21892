// What every CLI command provides: its name, a one-line summary, its options (parsed and
// validated before it runs) and the code that runs it. Main does the dispatch, --help and the
// mapping of exceptions to exit codes, so commands just throw.
package org.panatrain.engine.cli;

import java.io.PrintStream;
import java.util.List;

/** One `panatrain COMMAND`. */
interface Command {

    String name();

    /** One line for the command list. */
    String summary();

    /** The options it takes, in help order; --help and --debug are added by Main. */
    List<OptionSpec> options();

    /** How help names the operands it takes after the options ("INPUT..."); empty: none. */
    default String operands() {
        return "";
    }

    /**
     * Runs the command. Results go to {@code out} (with --json: one JSON object as the last
     * line), progress and human summaries to {@code err}.
     */
    void run(ParsedOptions options, PrintStream out, PrintStream err) throws Exception;
}
