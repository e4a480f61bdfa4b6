package io.kiln.agent.reconcile;

import io.kiln.agent.plan.ChangeKind;
import io.kiln.agent.plan.EndpointPlan;
import io.kiln.agent.policy.NodeMapOp;
import io.kiln.agent.policy.PolicyOp;

import java.util.List;

/**
 * The kernel side of the agent: what the reconciler asks of it, implemented over the
 * {@code io.kiln.runtime} Specializer and Dataplane. Every method may be called from several
 * threads at once, but never twice at once for the same endpoint (the reconciler serializes each
 * endpoint's work), and {@link #applyNodeOps} never twice at once.
 *
 * <p>Failures are exceptions, {@link io.kiln.KilnException}s with a message a user can act on
 * (template file:line, clang diagnostic, verifier log tail); the message becomes the endpoint's
 * reason in {@code kiln status}. A failure must leave the endpoint's running programs as they were.
 */
public interface EndpointDataplane {

    /**
     * Brings the endpoint to {@code plan}: gets the variant's object (bundle, store, or clang),
     * specializes it with {@code plan.constants()}, makes its policy map hold exactly
     * {@code plan.policy()} (writing before attaching, so a new endpoint never runs with an empty
     * map), and attaches it ({@link ChangeKind#CREATE}), swaps it in atomically
     * ({@link ChangeKind#CONSTANTS}, {@link ChangeKind#VARIANT}), or detaches the old programs and
     * attaches the new ones ({@link ChangeKind#RECREATE}). It stores {@code plan.fingerprint()}
     * with the endpoint's state so that {@link #adoptExisting} can give it back.
     *
     * @param kind why the reconciler calls: one of CREATE, RECREATE, VARIANT, CONSTANTS
     */
    RegenerateResult regenerate(EndpointPlan plan, ChangeKind kind);

    /**
     * Writes an endpoint's policy map, in list order. Idempotent: an upsert of an equal value and a
     * delete of a missing key succeed (a retry after a partial failure repeats some).
     */
    void applyPolicyOps(int endpointId, List<PolicyOp> ops);

    /** Writes the node maps, in list order; idempotent like {@link #applyPolicyOps}. */
    void applyNodeOps(List<NodeMapOp> ops);

    /** Detaches the endpoint's programs and removes its pins and state. Removing what is gone succeeds. */
    void remove(int endpointId);

    /**
     * What runs now, left by an earlier agent process: called once at start, before any other
     * method. Reads pins and state files without touching any hook.
     */
    AdoptedState adoptExisting();
}
