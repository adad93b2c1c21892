// The help texts: the command list (`panatrain help`) and a command's options
// (`panatrain help train`, `panatrain train --help`), generated from the option specs so that
// help and parsing cannot disagree. Option help is wrapped to a fixed width; a long option name
// puts its help on the next line rather than pushing the column.
package org.panatrain.engine.cli;

import java.util.List;

/** Renders help text. */
final class Help {
    private static final int WIDTH = 100;        // characters per line
    private static final int HELP_COLUMN = 29;   // where an option's help starts

    private Help() {
    }

    static String overview(List<Command> commands) {
        StringBuilder sb = new StringBuilder();
        sb.append("usage: panatrain COMMAND [options]\n\n");
        sb.append("Trains GPT-2 family language models from Java, on an NVIDIA GPU or the CPU.\n");
        sb.append("With no options, `panatrain train` trains a small GPT on a built-in addition task.\n\n");
        sb.append("commands:\n");
        for (Command c : commands) {
            sb.append(String.format("  %-8s %s%n", c.name(), c.summary()));
        }
        sb.append("  help     this text; `panatrain help COMMAND` or `panatrain COMMAND --help` for a command's options\n\n");
        sb.append("exit status: 0 success, 2 bad input or usage (one line on stderr), 1 anything else.\n");
        return sb.toString();
    }

    static String command(Command c, List<OptionSpec> options) {
        StringBuilder sb = new StringBuilder();
        sb.append("usage: panatrain ").append(c.name()).append(" [options]")
                .append(c.operands().isEmpty() ? "" : " " + c.operands()).append("\n\n");
        sb.append(c.summary()).append("\n\noptions:\n");
        for (OptionSpec o : options) {
            String left = "--" + o.name() + (o.valueName().isEmpty() ? "" : " " + o.valueName());
            sb.append("  ").append(left);
            if (left.length() > HELP_COLUMN - 3) {
                sb.append('\n').append(" ".repeat(HELP_COLUMN));
            } else {
                sb.append(" ".repeat(HELP_COLUMN - 2 - left.length()));
            }
            sb.append(wrapped(o.help())).append('\n');
        }
        return sb.toString();
    }

    /** text broken at spaces into lines of at most WIDTH characters, continued at HELP_COLUMN. */
    static String wrapped(String text) {
        StringBuilder sb = new StringBuilder();
        int column = HELP_COLUMN;
        for (String word : text.split(" ")) {
            if (column > HELP_COLUMN && column + 1 + word.length() > WIDTH) {
                sb.append('\n').append(" ".repeat(HELP_COLUMN));
                column = HELP_COLUMN;
            } else if (column > HELP_COLUMN) {
                sb.append(' ');
                column++;
            }
            sb.append(word);
            column += word.length();
        }
        return sb.toString();
    }
}
