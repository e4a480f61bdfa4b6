package io.kiln.agent.identity;

import io.kiln.agent.spec.Labels;

/** A pinned identity is held by another label set that is in use. */
public class IdentityClashException extends RuntimeException {
    private static final long serialVersionUID = 1L;

    private final int identity;
    private final transient Labels holder;

    public IdentityClashException(int identity, Labels holder) {
        super("identity " + identity + " is already the identity of labels {" + holder + "}");
        this.identity = identity;
        this.holder = holder;
    }

    public int identity() {
        return identity;
    }

    public Labels holder() {
        return holder;
    }
}
