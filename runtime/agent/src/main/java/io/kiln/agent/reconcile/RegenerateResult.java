package io.kiln.agent.reconcile;

import java.util.Map;

/**
 * What a successful regeneration left running.
 *
 * @param programIds program name to kernel program id
 * @param variantKey the variant key of the object loaded, or null when it has none
 */
public record RegenerateResult(Map<String, Integer> programIds, String variantKey) {
    public RegenerateResult {
        programIds = Map.copyOf(programIds);
    }
}
