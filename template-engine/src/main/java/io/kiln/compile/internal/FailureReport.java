package io.kiln.compile.internal;

import io.kiln.compile.Diagnostic;

import java.util.ArrayList;
import java.util.List;
import java.util.regex.Pattern;
import java.util.stream.Collectors;

/**
 * Builds the message of a failed clang run: the errors first (mapped to template files), then the
 * output trimmed to its head and tail, then the command, so the message alone is enough to act on.
 */
public final class FailureReport {
    static final int MAX_ERRORS = 20;
    static final int HEAD_LINES = 30;
    static final int TAIL_LINES = 30;
    private static final Pattern CLANG_ERROR = Pattern.compile("^clang(-[0-9.]+)?: error:");
    private static final Pattern DIAGNOSTIC_LINE = Pattern.compile("^[^\\s#][^:]*:\\d+:\\d+: (fatal error|error|warning)");

    private FailureReport() {
    }

    public static String message(String subject, String what, List<Diagnostic> diagnostics, String output,
                                 List<String> command) {
        return message(subject, what, diagnostics, "", output, command);
    }

    /** With {@code detail} (lines that start with a newline) after the errors: the source line, a hint. */
    public static String message(String subject, String what, List<Diagnostic> diagnostics, String detail,
                                 String output, List<String> command) {
        StringBuilder sb = new StringBuilder(subject).append(": ").append(what).append(':');
        List<Diagnostic> errors = diagnostics.stream().filter(d -> d.severity().isError()).toList();
        errors.stream().limit(MAX_ERRORS).forEach(d -> sb.append("\n  ").append(d));
        if (errors.size() > MAX_ERRORS) {
            sb.append("\n  ... and ").append(errors.size() - MAX_ERRORS).append(" more errors");
        }
        sb.append(detail);
        String trimmed = trim(output);
        if (!trimmed.isEmpty()) {
            sb.append("\nclang output:\n").append(trimmed.indent(2).stripTrailing());
        }
        sb.append("\ncommand (run in a temporary folder holding the rendered source): ")
                .append(commandLine(command));
        return sb.toString();
    }

    /**
     * The output's first and last lines, with "... N lines omitted ..." between them when too long.
     * An LLVM crash's stack dump is cut first: the diagnostic before it says what went wrong.
     */
    public static String trim(String output) {
        List<String> lines = withoutStackDump(output.strip().lines().toList());
        if (lines.size() <= HEAD_LINES + TAIL_LINES) {
            return String.join("\n", lines);
        }
        int omitted = lines.size() - HEAD_LINES - TAIL_LINES;
        return String.join("\n", lines.subList(0, HEAD_LINES)) + "\n... " + omitted + " lines omitted ...\n"
                + String.join("\n", lines.subList(lines.size() - TAIL_LINES, lines.size()));
    }

    /**
     * Drops an LLVM crash report (stack dump, version block, reproducer notes): from "PLEASE submit
     * a bug report" or "Stack dump:" to the end, only clang's own errors stay ("clang: error: ...",
     * file:line diagnostics). The diagnostic before the dump says what went wrong.
     */
    static List<String> withoutStackDump(List<String> lines) {
        List<String> out = new ArrayList<>();
        int dumped = 0;
        boolean inDump = false;
        for (String line : lines) {
            inDump |= line.startsWith("PLEASE submit a bug report") || line.startsWith("Stack dump:");
            if (!inDump || CLANG_ERROR.matcher(line).find() || DIAGNOSTIC_LINE.matcher(line).find()) {
                if (dumped > 0) {
                    out.add("... LLVM crash report omitted (" + dumped + " lines) ...");
                    dumped = 0;
                }
                out.add(line);
            } else {
                dumped++;
            }
        }
        if (dumped > 0) {
            out.add("... LLVM crash report omitted (" + dumped + " lines) ...");
        }
        return out;
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
