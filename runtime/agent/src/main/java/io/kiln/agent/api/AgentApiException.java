package io.kiln.agent.api;

import io.kiln.KilnException;

/**
 * The agent's API refused a request or could not be reached. For a refused spec, {@link #field()}
 * and {@link #line()} say where the problem is, as the agent found it.
 */
public class AgentApiException extends KilnException {
    private static final long serialVersionUID = 1L;

    private final int status;
    private final String field;
    private final int line;

    public AgentApiException(int status, String message, String field, int line) {
        super(message);
        this.status = status;
        this.field = field == null ? "" : field;
        this.line = line;
    }

    public AgentApiException(String message, Throwable cause) {
        super(message, cause);
        this.status = 0;
        this.field = "";
        this.line = 0;
    }

    /** The HTTP status, or 0 when the agent could not be reached. */
    public int status() {
        return status;
    }

    public String field() {
        return field;
    }

    public int line() {
        return line;
    }

    @Override
    public boolean isUserError() {
        return status >= 400 && status < 500;
    }
}
