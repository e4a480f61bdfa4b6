package io.kiln.runtime;

import io.kiln.KilnException;

/**
 * Specializing, attaching, swapping, adopting or detaching an endpoint failed for a reason that
 * is Kiln's own (a constant the template does not declare, a state file that does not match the
 * pins, an interface that is missing). Failures of the kernel or libbpf keep their own types
 * ({@link io.kiln.bpf.VerifierException}, {@link io.kiln.bpf.ProgramMismatchException}, ...) with
 * the endpoint named at the start of the message.
 */
public class EndpointException extends KilnException {
    private static final long serialVersionUID = 1L;

    private final boolean userError;

    public EndpointException(String message, boolean userError) {
        super(message);
        this.userError = userError;
    }

    public EndpointException(String message, boolean userError, Throwable cause) {
        super(message, cause);
        this.userError = userError;
    }

    @Override
    public boolean isUserError() {
        return userError;
    }
}
