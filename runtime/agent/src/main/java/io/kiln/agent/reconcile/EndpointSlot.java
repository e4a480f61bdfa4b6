package io.kiln.agent.reconcile;

import io.kiln.agent.plan.ChangeKind;
import io.kiln.agent.plan.EndpointPlan;
import io.kiln.agent.plan.Plan;
import io.kiln.agent.plan.PlanFingerprint;
import io.kiln.agent.policy.EndpointPolicy;

import java.time.Instant;
import java.util.Map;
import java.util.concurrent.ScheduledFuture;

/** One endpoint: what runs, what failed, and its place in the queue. Guarded by the reconciler's lock. */
final class EndpointSlot {
    final int id;
    boolean runs;
    boolean adopted;
    boolean everWanted;
    PlanFingerprint fingerprint;
    EndpointPolicy policy;
    Map<String, Integer> programIds = Map.of();
    String variantKey;
    boolean queued;
    boolean inFlight;
    boolean dirty;
    int failures;
    EndpointPlan failedFor;
    ScheduledFuture<?> retry;
    Instant nextRetry;
    String reason;
    ChangeKind lastChange;
    Instant lastRegeneration;
    Long lastMillis;
    /** 0: runs its template's tier 0 (a promotion to tier 1 is due); 1: its specialized program. */
    int tier = 1;
    /** The last failure was a promotion's: the endpoint still runs its plan on tier 0. */
    boolean promotionFailed;
    /**
     * The plan (this very object) the last piece of work brought the endpoint to, when it succeeded
     * and left it on tier 1: a new plan that hands the same object on (the planner's policy-only path
     * does for every endpoint a change is not about) needs no look at this slot at all.
     */
    EndpointPlan syncedWith;

    EndpointSlot(int id) {
        this.id = id;
    }

    /** What it takes to go from what runs to {@code wanted} (null: no spec wants the endpoint) under {@code plan}. */
    ChangeKind decide(EndpointPlan wanted, Plan plan) {
        if (wanted == null) {
            if (!runs || plan.held().contains(id) || (adopted && !everWanted && !plan.complete())) {
                return ChangeKind.NONE;
            }
            return ChangeKind.REMOVE;
        }
        if (runs && fingerprint == null) {
            return ChangeKind.CONSTANTS; // adopted without knowing what from: reload once, in place
        }
        ChangeKind k = ChangeKind.between(runs ? fingerprint : null, policy, wanted);
        return k == ChangeKind.NONE && runs && tier == 0 ? ChangeKind.PROMOTE : k;
    }

    /** True when all that is left to do for {@code wanted} is the promotion from tier 0 to tier 1. */
    boolean onlyPromotionDue(EndpointPlan wanted, Plan plan) {
        return wanted != null && runs && tier == 0 && decide(wanted, plan) == ChangeKind.PROMOTE;
    }

    void succeeded(ChangeKind kind, EndpointPlan wanted, RegenerateResult result, double seconds, Instant now) {
        failures = 0;
        failedFor = null;
        reason = null;
        nextRetry = null;
        promotionFailed = false;
        syncedWith = null;
        switch (kind) {
            case REMOVE -> {
                runs = false;
                fingerprint = null;
                policy = null;
                programIds = Map.of();
                variantKey = null;
                tier = 1;
            }
            case STATE_ONLY -> policy = wanted.policy();
            case NONE -> { }
            default -> {
                runs = true;
                fingerprint = wanted.fingerprint();
                policy = wanted.policy();
                programIds = result.programIds();
                variantKey = result.variantKey();
                tier = result.tier();
                lastRegeneration = now;
                lastMillis = Math.round(seconds * 1000);
            }
        }
        if (wanted != null && tier == 1 && ChangeKind.between(fingerprint, policy, wanted) == ChangeKind.NONE) {
            syncedWith = wanted;
        }
    }

    /** Records the failure; the caller schedules the retry at {@link #nextRetry}. */
    void failed(ChangeKind kind, EndpointPlan wanted, RuntimeException e, Instant retryAt) {
        failures++;
        syncedWith = null;
        promotionFailed = kind == ChangeKind.PROMOTE;
        failedFor = wanted;
        reason = e.getMessage() == null ? e.toString() : e.getMessage();
        nextRetry = retryAt;
    }
}
