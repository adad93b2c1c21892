// The `panatrain` command line: dispatches to a command, prints help, and maps failures to the
// exit codes of DESIGN.md: 2 with one line on stderr for bad usage and bad input files, 1 with
// one line for anything else; stack traces only with --debug. run() returns the exit code so
// that tests drive the CLI in-process.
package org.panatrain.engine.cli;

import java.io.PrintStream;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import org.panatrain.engine.io.BadInputException;

/**
 * Entry point of the launcher {@code ./panatrain}.
 *
 * <pre>{@code
 * int status = Main.run(new String[] {"train", "--steps", "10", "--json"}, System.out, System.err);
 * }</pre>
 */
public final class Main {
    static final OptionSpec HELP = OptionSpec.flag("help", "print this help and exit");
    static final OptionSpec DEBUG = OptionSpec.flag("debug", "print stack traces of errors");

    private static final List<Command> COMMANDS = List.of(
            new TrainCommand(), new EvalCommand(), new SampleCommand(), new PrepareCommand(), new ExportCommand(),
            new PlanCommand(), new InfoCommand());

    private Main() {
    }

    public static void main(String[] args) {
        int status = run(args, System.out, System.err);
        System.out.flush();
        System.exit(status);
    }

    /** Runs the command line {@code args} and returns its exit status. */
    public static int run(String[] args, PrintStream out, PrintStream err) {
        if (args.length == 0) {
            err.print(Help.overview(COMMANDS));
            return 2;
        }
        String name = args[0];
        List<String> rest = Arrays.asList(args).subList(1, args.length);
        if (name.equals("help") || name.equals("--help") || name.equals("-h")) {
            return help(rest, out, err);
        }
        Command command = find(name);
        if (command == null) {
            err.println("panatrain: unknown command '" + name + "' (commands: " + commandNames() + ", help)");
            return 2;
        }
        List<OptionSpec> options = optionsOf(command);
        if (rest.contains("--help")) {
            out.print(Help.command(command, options));
            return 0;
        }
        boolean debug = rest.contains("--debug");
        String prefix = "panatrain " + name + ": ";
        try {
            command.run(ParsedOptions.parse(rest, options, !command.operands().isEmpty()), out, err);
            return 0;
        } catch (UsageException e) {
            err.println(prefix + e.getMessage());
            return 2;
        } catch (BadInputException e) {
            err.println(prefix + e.getMessage());
            trace(e, debug, err);
            return 2;
        } catch (Throwable e) { // one line for anything at all, OutOfMemoryError included
            err.println(prefix + describe(e) + (debug ? "" : " (--debug shows the stack trace)"));
            trace(e, debug, err);
            return 1;
        } finally {
            out.flush();
        }
    }

    private static int help(List<String> rest, PrintStream out, PrintStream err) {
        if (rest.isEmpty()) {
            out.print(Help.overview(COMMANDS));
            return 0;
        }
        Command command = find(rest.getFirst());
        if (command == null) {
            err.println("panatrain help: unknown command '" + rest.getFirst() + "' (commands: " + commandNames() + ")");
            return 2;
        }
        out.print(Help.command(command, optionsOf(command)));
        return 0;
    }

    private static Command find(String name) {
        return COMMANDS.stream().filter(c -> c.name().equals(name)).findFirst().orElse(null);
    }

    private static String commandNames() {
        return String.join(", ", COMMANDS.stream().map(Command::name).toList());
    }

    private static List<OptionSpec> optionsOf(Command command) {
        List<OptionSpec> all = new ArrayList<>(command.options());
        all.add(DEBUG);
        all.add(HELP);
        return all;
    }

    /** The message, one line; the exception's class when it has no message or is unexpected. */
    private static String describe(Throwable e) {
        String message = e.getMessage() == null ? "" : e.getMessage().replace('\n', ' ');
        boolean plain = e instanceof IllegalStateException || e instanceof IllegalArgumentException
                || e instanceof java.io.UncheckedIOException || e instanceof java.io.IOException;
        if (message.isEmpty()) {
            return e.getClass().getName();
        }
        return plain ? message : e.getClass().getSimpleName() + ": " + message;
    }

    private static void trace(Throwable e, boolean debug, PrintStream err) {
        if (debug) {
            e.printStackTrace(err);
        }
    }
}
