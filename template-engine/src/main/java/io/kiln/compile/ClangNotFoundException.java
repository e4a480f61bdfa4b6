package io.kiln.compile;

import io.kiln.KilnException;

/** No usable clang: none found, not executable, not clang, or older than Kiln needs. One line, with the fix. */
public class ClangNotFoundException extends KilnException {
    private static final long serialVersionUID = 1L;

    public ClangNotFoundException(String message) {
        super(message);
    }

    public ClangNotFoundException(String message, Throwable cause) {
        super(message, cause);
    }
}
