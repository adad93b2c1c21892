// The help texts: the command list (`panatrain help`) and a command's options
// (`panatrain help train`, `panatrain train --help`), generated from the option specs so that
// help and parsing cannot disagree.
package org.panatrain.engine.cli;

import java.util.List;

/** Renders help text. */
final class Help {
    private Help() {
    }

    static String overview(List<Command> commands) {
        StringBuilder sb = new StringBuilder();
        sb.append("usage: panatrain COMMAND [options]\n\n");
        sb.append("Trains GPT-2 family language models from Java, on the CPU (or, later, a GPU).\n");
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
            sb.append(String.format("  %-26s %s%n", left, o.help()));
        }
        return sb.toString();
    }
}
