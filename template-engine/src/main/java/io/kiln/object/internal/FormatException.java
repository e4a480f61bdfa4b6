package io.kiln.object.internal;

/**
 * A structural problem found while decoding; the public entry points turn it into an
 * {@link io.kiln.object.InvalidObjectException} naming the object.
 */
public final class FormatException extends RuntimeException {
    private static final long serialVersionUID = 1L;

    public FormatException(String problem) {
        super(problem, null, false, false);
    }
}
