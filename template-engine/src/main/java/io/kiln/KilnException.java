package io.kiln;

/**
 * Base of every error Kiln reports to a user. Its message alone must let the user act:
 * what failed, for which template or endpoint, where (file:line), and the tail of the
 * tool's own output. Front ends (CLI, Maven plugin, agent) print {@link #getMessage()}
 * and never a stack trace for these.
 */
public class KilnException extends RuntimeException {
    private static final long serialVersionUID = 1L;

    public KilnException(String message) {
        super(message);
    }

    public KilnException(String message, Throwable cause) {
        super(message, cause);
    }

    /** True when the error is caused by what the user gave (descriptor, parameter, spec), not by the machine. */
    public boolean isUserError() {
        return false;
    }
}
