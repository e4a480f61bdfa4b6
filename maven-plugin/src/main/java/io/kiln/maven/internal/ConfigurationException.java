package io.kiln.maven.internal;

import io.kiln.KilnException;

/** The plugin's configuration in the POM is not usable; the message names the element. */
public final class ConfigurationException extends KilnException {
    private static final long serialVersionUID = 1L;

    public ConfigurationException(String message) {
        super(message);
    }

    @Override
    public boolean isUserError() {
        return true;
    }
}
