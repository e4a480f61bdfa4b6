package io.kiln.agent.policy;

/** What a policy entry does to the packets it matches; a matching DENY beats any ALLOW. */
public enum PolicyAction {
    /** The dataplane's {@code POLICY_ALLOW} (1). */
    ALLOW(1),
    /** The dataplane's {@code POLICY_DENY} (2). */
    DENY(2);

    private final int value;

    PolicyAction(int value) {
        this.value = value;
    }

    public int value() {
        return value;
    }
}
