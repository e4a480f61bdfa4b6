package io.kiln.build;

import io.kiln.KilnException;

/** The compiled object's .rodata does not match the constants the descriptor declares. */
public final class ConstantMismatchException extends KilnException {
    private static final long serialVersionUID = 1L;

    public ConstantMismatchException(String message) {
        super(message);
    }

    @Override
    public boolean isUserError() {
        return true;
    }
}
