package io.kiln.agent.plan;

import io.kiln.agent.policy.EndpointPolicy;

/**
 * How an endpoint must change to go from what runs to what is wanted, cheapest first. Each kind
 * implies the work of the kinds before it (a new variant also rewrites the policy map).
 */
public enum ChangeKind {
    /** Nothing to do. */
    NONE,
    /** Only the endpoint's policy map changes: map writes, no reload. */
    STATE_ONLY,
    /** Constants changed: specialize the same object again and swap. */
    CONSTANTS,
    /**
     * Build parameters changed, or the template's files did (a new Kiln or image): a new variant (one compile,
     * shared by every endpoint that needs it), then swap.
     */
    VARIANT,
    /** The interface, its namespace or the template changed: detach the old programs, attach new ones. */
    RECREATE,
    /** Nothing runs yet: attach. */
    CREATE,
    /** Nothing is wanted any more: detach and remove the pins. */
    REMOVE,
    /**
     * What runs is the wanted plan, but on tier 0 (the node-wide generic program): build and verify
     * the endpoint's specialized program (tier 1) and swap it in. Never returned by {@link #between};
     * the reconciler asks for it for an endpoint its dataplane brought up on tier 0.
     */
    PROMOTE;

    /**
     * @param running       what runs (null when nothing does)
     * @param runningPolicy the policy map as it is (ignored when nothing runs)
     * @param wanted        what is wanted (null when nothing is)
     */
    public static ChangeKind between(PlanFingerprint running, EndpointPolicy runningPolicy, EndpointPlan wanted) {
        if (wanted == null) {
            return running == null ? NONE : REMOVE;
        }
        if (running == null) {
            return CREATE;
        }
        PlanFingerprint w = wanted.fingerprint();
        if (!w.attachment().equals(running.attachment()) || !w.template().equals(running.template())) {
            return RECREATE;
        }
        if (!w.build().equals(running.build()) || !w.sources().equals(running.sources())) {
            return VARIANT; // other build parameters, or the same ones of changed template files
        }
        if (!w.constants().equals(running.constants())) {
            return CONSTANTS;
        }
        return wanted.policy().equals(runningPolicy) ? NONE : STATE_ONLY;
    }

    /** True when the change loads programs (and so goes through {@code Dataplane.attach}, {@code reattach} or {@code swap}). */
    public boolean reloads() {
        return this == CONSTANTS || this == VARIANT || this == RECREATE || this == CREATE || this == PROMOTE;
    }
}
