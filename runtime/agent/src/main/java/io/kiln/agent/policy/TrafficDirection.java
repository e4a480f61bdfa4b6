package io.kiln.agent.policy;

/**
 * Always seen from the endpoint, as the dataplane's {@code direction.h} does: INGRESS is what the
 * endpoint receives, EGRESS what it sends. {@link #value()} is the dataplane's {@code DIR_*}.
 */
public enum TrafficDirection {
    INGRESS(0), EGRESS(1);

    private final int value;

    TrafficDirection(int value) {
        this.value = value;
    }

    /** {@code DIR_INGRESS} 0, {@code DIR_EGRESS} 1. */
    public int value() {
        return value;
    }
}
