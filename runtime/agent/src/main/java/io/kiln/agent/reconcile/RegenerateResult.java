package io.kiln.agent.reconcile;

import java.util.Map;

/**
 * What a successful regeneration left running.
 *
 * @param programIds program name to kernel program id
 * @param variantKey the variant key of the object loaded, or null when it has none
 * @param tier       0 when the endpoint runs its template's node-wide generic program (tier 0; the
 *                   reconciler then asks {@link Dataplane#promote} for its specialized program), 1
 *                   when it runs its own specialized program
 */
public record RegenerateResult(Map<String, Integer> programIds, String variantKey, int tier) {
    public RegenerateResult {
        programIds = Map.copyOf(programIds);
        if (tier != 0 && tier != 1) {
            throw new IllegalArgumentException("tier must be 0 or 1, got " + tier);
        }
    }

    /** A specialized program (tier 1). */
    public RegenerateResult(Map<String, Integer> programIds, String variantKey) {
        this(programIds, variantKey, 1);
    }
}
