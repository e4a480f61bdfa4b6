package io.kiln.bundle;

import io.kiln.KilnException;

/**
 * A bundle cannot be used: its index is malformed or of an unknown format, or an object it lists is
 * missing or does not match its recorded digest. The message names the bundle (its index's URL or
 * file) and, for a malformed index, the JSON field at fault.
 */
public class BundleException extends KilnException {
    private static final long serialVersionUID = 1L;

    public BundleException(String message) {
        super(message);
    }

    public BundleException(String message, Throwable cause) {
        super(message, cause);
    }
}
