package io.kiln.agent.reconcile;

import io.kiln.agent.plan.ChangeKind;
import io.kiln.agent.plan.EndpointPlan;
import io.kiln.agent.policy.NodeMapOp;
import io.kiln.agent.policy.PolicyOp;

import java.util.List;

/**
 * The dataplane as the reconciler drives it: every endpoint's programs on their hooks and the maps
 * they read. Its verbs are the runtime's ({@code io.kiln.runtime.EndpointLoader}): attach, swap,
 * detach, adopt. {@link io.kiln.agent.dataplane.KernelDataplane} is the one in the kernel. Every
 * method may be called from several threads at once, but never twice at once for the same
 * endpoint (the reconciler serializes each endpoint's work), and {@link #applyNodeOps} never twice
 * at once.
 *
 * <p>Failures are exceptions, {@link io.kiln.KilnException}s with a message a user can act on
 * (template file:line, clang diagnostic, verifier log tail); the message becomes the endpoint's
 * reason in {@code kiln status}. A failure must leave the endpoint's running programs as they were.
 *
 * <p>Attach, reattach and swap each <em>regenerate</em> the endpoint: get the variant's object
 * (bundle, store, or clang), specialize it with {@code plan.constants()}, make its policy map hold
 * exactly {@code plan.policy()} (its DNS rules on queries too) before any hook is touched (so a new endpoint never runs with an
 * empty map), and store {@code plan.fingerprint()} with the endpoint's state so that
 * {@link #adopt} can give it back.
 *
 * <p>A dataplane may bring a new endpoint up on its template's <em>tier 0</em>, a node-wide
 * generic program already verified, and say so in the {@link RegenerateResult}; the reconciler
 * then calls {@link #promote} for the endpoint's specialized program (tier 1).
 */
public interface Dataplane {
    /**
     * The ifindex of {@code interfaceName} in {@code namespace} (null: the node's), if it exists now:
     * the planner tells two spellings of one interface (an altname) apart by it. Empty by default.
     */
    default java.util.OptionalInt ifindex(String interfaceName, String namespace) {
        return java.util.OptionalInt.empty();
    }

    /**
     * How each endpoint's tc hooks are attached ({@code tcx}, {@code tc}) and the move to the other kind
     * that is pending after a failed one, if any (null), by endpoint id: what {@code kiln status} shows
     * beside the reconciler's own view. Empty by default.
     */
    default java.util.Map<Integer, HookSummary> hookSummaries() {
        return java.util.Map.of();
    }

    /**
     * @param kind        the kind of the endpoint's tc hooks, {@code tcx} or {@code tc} (both, joined by
     *                    {@code +}, only while a move runs)
     * @param pendingMove the move the agent's {@code --attach} asks for that failed and is pending (e.g.
     *                    {@code to tc: 2 failed attempt(s), next at ...: REASON}), or null
     */
    record HookSummary(String kind, String pendingMove) {
    }

    /** Regenerates a new endpoint ({@link ChangeKind#CREATE}) and attaches its programs. */
    RegenerateResult attach(EndpointPlan plan);

    /**
     * Regenerates an endpoint whose interface, namespace or template changed
     * ({@link ChangeKind#RECREATE}): the object comes first, then the old programs are detached and
     * the new ones attached (there is a gap).
     */
    RegenerateResult reattach(EndpointPlan plan);

    /**
     * Regenerates a running endpoint and swaps its programs atomically.
     *
     * @param kind {@link ChangeKind#CONSTANTS} (same object, new constants) or {@link ChangeKind#VARIANT}
     */
    RegenerateResult swap(EndpointPlan plan, ChangeKind kind);

    /**
     * Moves an endpoint that runs {@code plan} on tier 0 (an {@link #attach} or {@link #reattach}
     * returned tier 0) to its specialized program, tier 1: build, verify, swap atomically per hook.
     * A failure leaves it on tier 0, enforced. By default a {@link ChangeKind#CONSTANTS} swap.
     */
    default RegenerateResult promote(EndpointPlan plan) {
        return swap(plan, ChangeKind.CONSTANTS);
    }

    /**
     * Writes an endpoint's policy map, in list order. Idempotent: an upsert of an equal value and a
     * delete of a missing key succeed (a retry after a partial failure repeats some).
     */
    void applyPolicyOps(int endpointId, List<PolicyOp> ops);

    /**
     * Makes the dataplane judge the endpoint's DNS queries by {@code rules} (the node map
     * {@code dns_rules}), as {@link #applyPolicyOps} does for its policy map; idempotent. A
     * regeneration writes them as it writes the policy map. By default nothing (a dataplane
     * without DNS rules on queries).
     */
    default void applyDnsRules(int endpointId, io.kiln.agent.policy.DnsQueryRules rules) {
    }

    /** Writes the node maps, in list order; idempotent like {@link #applyPolicyOps}. */
    void applyNodeOps(List<NodeMapOp> ops);

    /** Detaches the endpoint's programs and removes its pins and state. Detaching what is gone succeeds. */
    void detach(int endpointId);

    /**
     * What runs now, left by an earlier agent process: called once at start, before any other
     * method. Reads pins and state files without touching any hook.
     */
    AdoptedState adopt();
}
