package io.kiln.template;

import io.kiln.KilnException;

/**
 * A build parameter or endpoint constant given for a template is unknown or has a value its
 * declaration does not allow, e.g.
 * {@code template endpoint: build parameter ipv6: expected true or false, got 'yes'}.
 */
public class ParameterException extends KilnException {
    private static final long serialVersionUID = 1L;

    private final String template;
    private final String parameter;

    public ParameterException(String template, String parameter, String message) {
        super(message);
        this.template = template;
        this.parameter = parameter;
    }

    /** The template's name, or empty when the error arose before a template was known. */
    public String template() {
        return template;
    }

    /** The build parameter or constant concerned, or empty. */
    public String parameter() {
        return parameter;
    }

    @Override
    public boolean isUserError() {
        return true;
    }
}
