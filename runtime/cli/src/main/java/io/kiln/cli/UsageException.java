package io.kiln.cli;

import io.kiln.KilnException;

/** An option that makes no sense (alone or with another): one line on stderr, exit 2. */
final class UsageException extends KilnException {
    private static final long serialVersionUID = 1L;

    UsageException(String option, String message) {
        super(option + ": " + message);
    }

    @Override
    public boolean isUserError() {
        return true;
    }
}
