package io.kiln.compile.internal;

import io.kiln.compile.Diagnostic;

import java.util.List;
import java.util.stream.Collectors;

/**
 * Builds the message of a failed clang run: the errors first (mapped to template files), then the
 * output trimmed to its head and tail, then the command, so the message alone is enough to act on.
 */
public final class FailureReport {
    static final int MAX_ERRORS = 20;
    static final int HEAD_LINES = 30;
    static final int TAIL_LINES = 30;

    private FailureReport() {
    }

    public static String message(String subject, String what, List<Diagnostic> diagnostics, String output,
                                 List<String> command) {
        StringBuilder sb = new StringBuilder(subject).append(": ").append(what).append(':');
        List<Diagnostic> errors = diagnostics.stream().filter(d -> d.severity().isError()).toList();
        errors.stream().limit(MAX_ERRORS).forEach(d -> sb.append("\n  ").append(d));
        if (errors.size() > MAX_ERRORS) {
            sb.append("\n  ... and ").append(errors.size() - MAX_ERRORS).append(" more errors");
        }
        String trimmed = trim(output);
        if (!trimmed.isEmpty()) {
            sb.append("\nclang output:\n").append(trimmed.indent(2).stripTrailing());
        }
        sb.append("\ncommand (run in a temporary folder holding the rendered source): ")
                .append(commandLine(command));
        return sb.toString();
    }

    /** The output's first and last lines, with "... N lines omitted ..." between them when too long. */
    public static String trim(String output) {
        List<String> lines = output.strip().lines().toList();
        if (lines.size() <= HEAD_LINES + TAIL_LINES) {
            return String.join("\n", lines);
        }
        int omitted = lines.size() - HEAD_LINES - TAIL_LINES;
        return String.join("\n", lines.subList(0, HEAD_LINES)) + "\n... " + omitted + " lines omitted ...\n"
                + String.join("\n", lines.subList(lines.size() - TAIL_LINES, lines.size()));
    }

    /** The command as one line a user can paste into a shell (arguments quoted where needed). */
    public static String commandLine(List<String> command) {
        return command.stream().map(FailureReport::quote).collect(Collectors.joining(" "));
    }

    private static String quote(String arg) {
        if (!arg.isEmpty() && arg.chars().allMatch(c -> Character.isLetterOrDigit(c) || "-_=./:,+@%".indexOf(c) >= 0)) {
            return arg;
        }
        return "'" + arg.replace("'", "'\\''") + "'";
    }
}
