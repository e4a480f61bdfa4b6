package io.kiln.agent.api;

import java.time.Instant;
import java.util.Map;

/**
 * One endpoint as {@code kiln status} shows it.
 *
 * @param state                   {@link State}
 * @param reason                  why it is not ready (a spec error, the template's file:line, a clang
 *                                diagnostic, the verifier log's tail), or null
 * @param programIds              program name to kernel program id of what runs, empty when nothing does
 * @param variantKey              the variant key of the object that runs, or null
 * @param lastChange              the kind of the last change applied or tried ({@code CONSTANTS}, ...), or null
 * @param lastRegeneration        when the last reload finished, or null
 * @param lastRegenerationMillis  how long it took, or null
 * @param failures                failed attempts since the last success
 * @param nextRetry               when the next attempt is due after a failure, or null
 * @param tier                    0: it runs its template's node-wide generic program (tier 0, enforced, its
 *                                specialized program not yet swapped in, or failed: see reason); 1: its own
 *                                specialized program; null when nothing runs
 * @param hooks                   how its tc hooks are attached, {@code tcx} or {@code tc}; null when unknown
 *                                (nothing attached, or a dataplane that does not say)
 * @param pendingMove             a move of its tc hooks to the kind {@code --attach} asks for that failed and
 *                                is tried again (or was given up): to which kind, the failed attempts, the next
 *                                one's time, the last reason; null when none is pending
 */
public record EndpointStatus(int id, State state, String reason, String interfaceName, String template,
                             Integer identity, Map<String, Integer> programIds, String variantKey, String lastChange,
                             Instant lastRegeneration, Long lastRegenerationMillis, int failures, Instant nextRetry,
                             Integer tier, String hooks, String pendingMove) {
    public EndpointStatus {
        programIds = programIds == null ? Map.of() : Map.copyOf(programIds);
    }

    /** Without what its hooks are attached with. */
    public EndpointStatus(int id, State state, String reason, String interfaceName, String template, Integer identity,
                          Map<String, Integer> programIds, String variantKey, String lastChange, Instant lastRegeneration,
                          Long lastRegenerationMillis, int failures, Instant nextRetry, Integer tier) {
        this(id, state, reason, interfaceName, template, identity, programIds, variantKey, lastChange, lastRegeneration,
                lastRegenerationMillis, failures, nextRetry, tier, null, null);
    }

    /** Without a tier (nothing known to run). */
    public EndpointStatus(int id, State state, String reason, String interfaceName, String template, Integer identity,
                          Map<String, Integer> programIds, String variantKey, String lastChange, Instant lastRegeneration,
                          Long lastRegenerationMillis, int failures, Instant nextRetry) {
        this(id, state, reason, interfaceName, template, identity, programIds, variantKey, lastChange, lastRegeneration,
                lastRegenerationMillis, failures, nextRetry, null);
    }

    public enum State {
        /** Runs what its spec asks for. */
        READY,
        /** Work is queued or under way. */
        PENDING,
        /** The last attempt failed (see reason); whatever ran before still runs. */
        NOT_READY,
        /** Its spec is gone; its programs are being removed. */
        REMOVING
    }
}
