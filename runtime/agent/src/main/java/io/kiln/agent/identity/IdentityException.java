package io.kiln.agent.identity;

import io.kiln.KilnException;

/** The identity file cannot be read or written. */
public class IdentityException extends KilnException {
    private static final long serialVersionUID = 1L;

    public IdentityException(String message, Throwable cause) {
        super(message, cause);
    }
}
