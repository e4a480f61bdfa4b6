package io.kiln.build;

import io.kiln.KilnException;

/**
 * The compiled object does not match its descriptor: its .rodata and the declared constants, or the
 * map named as {@code reasonCounters} and the counters' fixed layout.
 */
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
