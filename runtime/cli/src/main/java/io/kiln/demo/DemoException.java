package io.kiln.demo;

import io.kiln.KilnException;

/** The demo could not go on: what it was doing and why. */
public final class DemoException extends KilnException {
    private static final long serialVersionUID = 1L;

    public DemoException(String message) {
        super(message);
    }

    public DemoException(String message, Throwable cause) {
        super(message, cause);
    }
}
