package io.kiln.agent.dataplane;

import io.kiln.KilnException;

/**
 * Bringing an endpoint to its plan failed; the message starts with the endpoint and says why in the
 * words of the layer that failed (the template's file:line, clang's diagnostic, the verifier log's
 * tail). The endpoint's running programs are as they were. The cause is the original exception.
 */
public class DataplaneException extends KilnException {
    private static final long serialVersionUID = 1L;

    private final boolean userError;

    public DataplaneException(String message, boolean userError, Throwable cause) {
        super(message, cause);
        this.userError = userError;
    }

    /** {@code prefix} in front of {@code e}'s message, unless the message already starts with it. */
    static DataplaneException of(String prefix, RuntimeException e) {
        if (e instanceof DataplaneException d && String.valueOf(d.getMessage()).startsWith(prefix)) {
            return d;
        }
        String m = e.getMessage() == null ? e.toString() : e.getMessage();
        String label = prefix.substring(0, prefix.indexOf(':') + 1);
        boolean user = e instanceof KilnException k && k.isUserError();
        return new DataplaneException(m.startsWith(label) ? m : prefix + m, user, e);
    }

    @Override
    public boolean isUserError() {
        return userError;
    }
}
