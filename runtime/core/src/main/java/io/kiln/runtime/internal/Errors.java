package io.kiln.runtime.internal;

import io.kiln.KilnException;
import io.kiln.bpf.BpfException;
import io.kiln.bpf.MissingFeatureException;
import io.kiln.bpf.ProgramMismatchException;
import io.kiln.bpf.VerifierException;
import io.kiln.runtime.EndpointException;

/**
 * Puts the endpoint (and template) in front of a lower layer's message while keeping the
 * exception's type, so callers can still catch {@link VerifierException} or
 * {@link ProgramMismatchException} and read their details.
 */
public final class Errors {
    private Errors() {
    }

    public static RuntimeException withContext(String prefix, RuntimeException e) {
        if (!(e instanceof KilnException)) {
            return new EndpointException(prefix + e, false, e); // a bug's message alone may say nothing
        }
        return withMessage(prefix + e.getMessage(), e);
    }

    /** {@link #withContext} with the whole new message given (to insert context inside an existing one). */
    public static RuntimeException withMessage(String message, RuntimeException e) {
        if (e instanceof VerifierException v) {
            return new VerifierException(message, v.program(), v.reason(), v.log(), v.errno());
        }
        if (e instanceof ProgramMismatchException m) {
            return new ProgramMismatchException(message, m.expectedProgramId(), m.actualProgramId());
        }
        if (e instanceof MissingFeatureException) {
            return e; // about the kernel, not the endpoint; its message is built from its fields
        }
        if (e instanceof BpfException b) {
            return new BpfException(message, b.errno(), b.isUserError(), b);
        }
        if (e instanceof KilnException k) {
            return new EndpointException(message, k.isUserError(), k);
        }
        return new EndpointException(message, false, e);
    }
}
