package io.kiln.bindings;

import io.kiln.KilnException;

/** Bindings cannot be generated as asked, e.g. the Java package is not a valid name. */
public class BindingsException extends KilnException {
    private static final long serialVersionUID = 1L;

    public BindingsException(String message) {
        super(message);
    }

    @Override
    public boolean isUserError() {
        return true;
    }
}
