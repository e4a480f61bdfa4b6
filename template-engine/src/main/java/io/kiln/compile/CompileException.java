package io.kiln.compile;

import io.kiln.KilnException;

import java.util.List;

/**
 * clang rejected a rendered source. The message alone lets a user fix it: the template and its build
 * parameters, the errors mapped to template files and lines, the trimmed output, the command.
 */
public class CompileException extends KilnException {
    private static final long serialVersionUID = 1L;

    private final List<String> command;
    private final int exitCode;
    private final List<Diagnostic> diagnostics;
    private final String output;

    public CompileException(String message, List<String> command, int exitCode, List<Diagnostic> diagnostics,
                            String output) {
        super(message);
        this.command = List.copyOf(command);
        this.exitCode = exitCode;
        this.diagnostics = List.copyOf(diagnostics);
        this.output = output;
    }

    public List<String> command() {
        return command;
    }

    public int exitCode() {
        return exitCode;
    }

    /** Every diagnostic clang printed, errors and warnings, with files resolved to the template root. */
    public List<Diagnostic> diagnostics() {
        return diagnostics;
    }

    /** clang's whole output (stdout and stderr), untrimmed. */
    public String output() {
        return output;
    }

    @Override
    public boolean isUserError() {
        return true;
    }
}
