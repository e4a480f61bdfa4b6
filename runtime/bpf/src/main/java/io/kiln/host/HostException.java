package io.kiln.host;

import io.kiln.KilnException;

/**
 * A namespace, an interface or a socket of the host could not be used: the message names it and
 * gives the errno. A user error when what was named does not exist (a namespace that is gone).
 */
public class HostException extends KilnException {
    private static final long serialVersionUID = 1L;

    private final boolean userError;

    public HostException(String message, boolean userError) {
        super(message);
        this.userError = userError;
    }

    @Override
    public boolean isUserError() {
        return userError;
    }
}
