package io.kiln.agent.reconcile;

import io.kiln.agent.api.AgentStatus;
import io.kiln.agent.api.EndpointStatus;
import io.kiln.agent.plan.ChangeKind;
import io.kiln.agent.plan.EndpointPlan;
import io.kiln.agent.plan.Plan;
import io.kiln.agent.spec.SpecError;
import io.kiln.agent.spec.SpecKind;

import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;

/** What {@code kiln status} shows, read from the reconciler's slots; called with its lock held. */
final class StatusReport {
    private StatusReport() {
    }

    /** {@code plan} is null until the first plan came; {@code started} is false until adoption finished. */
    static AgentStatus of(Instant now, boolean started, Plan plan, Map<Integer, EndpointSlot> slots, NodeSlot node) {
        return of(now, started, plan, slots, node, Map.of());
    }

    /** {@link #of(Instant, boolean, Plan, Map, NodeSlot)} with the dataplane's word on each endpoint's hooks. */
    static AgentStatus of(Instant now, boolean started, Plan plan, Map<Integer, EndpointSlot> slots, NodeSlot node,
                          Map<Integer, Dataplane.HookSummary> hooks) {
        Plan p = plan == null ? Plan.EMPTY : plan;
        Map<String, SpecError> specErrors = new TreeMap<>();
        for (SpecError e : p.errors()) {
            if (e.kind() == SpecKind.ENDPOINT && e.key() != null) {
                specErrors.putIfAbsent(e.key(), e);
            }
        }
        List<EndpointStatus> out = new ArrayList<>();
        Map<Integer, EndpointSlot> all = new TreeMap<>(slots);
        for (Integer held : p.held()) {
            all.putIfAbsent(held, new EndpointSlot(held));
        }
        int ready = 0;
        boolean working = started && plan != null;
        for (EndpointSlot s : all.values()) {
            EndpointStatus st = endpoint(s, p, working, specErrors.get(Integer.toString(s.id)), hooks.get(s.id));
            ready += st.state() == EndpointStatus.State.READY ? 1 : 0;
            out.add(st);
        }
        EndpointStatus.State nodeState = node.failures > 0 ? EndpointStatus.State.NOT_READY
                : node.queued || node.inFlight || plan == null ? EndpointStatus.State.PENDING
                : EndpointStatus.State.READY;
        return new AgentStatus(now, working, out.size(), ready, out, nodeState, node.reason, p.errors());
    }

    private static EndpointStatus endpoint(EndpointSlot s, Plan p, boolean working, SpecError specError,
                                           Dataplane.HookSummary hooks) {
        EndpointPlan wanted = p.endpoints().get(s.id);
        EndpointStatus.State state;
        String reason = s.reason;
        boolean promotionOnly = working && s.onlyPromotionDue(wanted, p);
        if (s.failures > 0 && s.promotionFailed && promotionOnly) {
            state = EndpointStatus.State.READY; // its plan runs, enforced, on tier 0
            reason = "on tier 0 (enforced): its specialized program (tier 1) failed: " + reason;
        } else if (s.failures > 0) {
            state = EndpointStatus.State.NOT_READY;
        } else if (promotionOnly) {
            state = EndpointStatus.State.READY; // on tier 0, enforced; tier 1 is being built
        } else if (s.queued || s.inFlight || !working) {
            state = wanted == null && s.runs && !p.held().contains(s.id) ? EndpointStatus.State.REMOVING
                    : EndpointStatus.State.PENDING;
        } else if (wanted == null) {
            state = s.runs && !p.held().contains(s.id) && s.decide(null, p) == ChangeKind.REMOVE
                    ? EndpointStatus.State.REMOVING : EndpointStatus.State.NOT_READY;
        } else {
            state = EndpointStatus.State.READY;
        }
        if (specError != null) {
            state = EndpointStatus.State.NOT_READY;
            String kept = specError.previousKept() ? "; its previous spec still runs"
                    : s.runs ? "; what ran before still runs" : "";
            reason = "spec: " + specError.message() + kept + (reason == null ? "" : "; " + reason);
        }
        return new EndpointStatus(s.id, state, reason, wanted == null ? null : wanted.interfaceName(),
                wanted == null ? null : wanted.template().name(), wanted == null ? null : wanted.identity(), s.programIds,
                s.variantKey, s.lastChange == null ? null : s.lastChange.name(), s.lastRegeneration, s.lastMillis,
                s.failures, s.nextRetry, s.runs ? s.tier : null, hooks == null ? null : hooks.kind(),
                hooks == null ? null : hooks.pendingMove());
    }
}
