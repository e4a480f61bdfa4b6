package io.kiln.agent.flow;

/** What happened to a flow or a packet, as {@code kiln flows --verdict} names it. */
public enum Verdict {
    /** Passed on (policy allowed it). */
    FORWARDED,
    /** Dropped; the record says why. */
    DROPPED,
    /** Passed only because policyMode=audit: policy would have dropped it. */
    AUDIT
}
