package io.kiln.agent.reconcile;

import io.kiln.agent.plan.PlanFingerprint;
import io.kiln.agent.policy.EndpointPolicy;

import java.util.Map;

/**
 * An endpoint found running at start.
 *
 * @param fingerprint what it was built from ({@code EndpointPlan#fingerprint} stored at regeneration), or
 *                    null when unknown: it is then reloaded once, as for new constants
 * @param policy      its policy map as read back, or null when unknown: every wanted entry is then written
 *                    (stale entries stay until they differ)
 * @param programIds  program name to kernel program id
 * @param variantKey  the variant key it runs, or null
 * @param tier        0 when it runs its template's tier 0 (it is then promoted to tier 1), else 1
 */
public record ActualEndpoint(int id, PlanFingerprint fingerprint, EndpointPolicy policy,
                             Map<String, Integer> programIds, String variantKey, int tier) {
    public ActualEndpoint {
        programIds = programIds == null ? Map.of() : Map.copyOf(programIds);
    }

    /** An endpoint running its specialized program (tier 1). */
    public ActualEndpoint(int id, PlanFingerprint fingerprint, EndpointPolicy policy, Map<String, Integer> programIds,
                          String variantKey) {
        this(id, fingerprint, policy, programIds, variantKey, 1);
    }
}
