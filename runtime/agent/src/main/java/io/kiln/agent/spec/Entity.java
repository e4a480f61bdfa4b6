package io.kiln.agent.spec;

import java.util.Locale;
import java.util.Optional;

/** Peers named by what they are rather than by labels or addresses ({@code fromEntities: [host]}). */
public enum Entity {
    /** The node itself (identity 1). */
    HOST,
    /** Any address the node knows no endpoint or CIDR rule for (identity 2). */
    WORLD,
    /** Every peer: the wildcard identity 0. */
    ALL;

    public static Optional<Entity> parse(String text) {
        try {
            return Optional.of(valueOf(text.toUpperCase(Locale.ROOT)));
        } catch (IllegalArgumentException e) {
            return Optional.empty();
        }
    }

    public String text() {
        return name().toLowerCase(Locale.ROOT);
    }
}
