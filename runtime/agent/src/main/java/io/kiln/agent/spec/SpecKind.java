package io.kiln.agent.spec;

import java.util.Locale;

/** The three kinds of spec; {@link #folder()} is where a spec directory keeps each kind. */
public enum SpecKind {
    ENDPOINT("endpoints"), POLICY("policies"), SERVICE("services");

    private final String folder;

    SpecKind(String folder) {
        this.folder = folder;
    }

    /** The sub-folder of a spec directory, and the path segment of the API ({@code /v1/endpoints}). */
    public String folder() {
        return folder;
    }

    public String word() {
        return name().toLowerCase(Locale.ROOT);
    }
}
