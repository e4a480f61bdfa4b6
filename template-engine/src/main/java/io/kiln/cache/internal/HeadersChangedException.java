package io.kiln.cache.internal;

import io.kiln.KilnException;

/**
 * The headers changed between computing a variant key and compiling (or between scanning and
 * hashing): the object in hand may not match the key, so it is not stored and the request is retried.
 */
public final class HeadersChangedException extends KilnException {
    private static final long serialVersionUID = 1L;

    public HeadersChangedException(String message) {
        super(message);
    }
}
