package io.kiln.agent.reconcile;

import io.kiln.KilnException;
import io.kiln.agent.plan.ChangeKind;
import io.kiln.agent.plan.EndpointPlan;
import io.kiln.agent.plan.PlanFingerprint;
import io.kiln.agent.policy.EndpointPolicy;
import io.kiln.agent.policy.NodeMapOp;
import io.kiln.agent.policy.NodeState;
import io.kiln.agent.policy.PolicyOp;
import io.kiln.agent.policy.StateDiff;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * An in-memory dataplane that records what the reconciler asks of it and keeps the state those
 * calls would leave: it tests the reconciler's scheduling, not the kernel (that is the lead's
 * wiring over io.kiln.runtime, tested against the kernel).
 */
public final class RecordingDataplane implements Dataplane {
    public record Call(String what, int endpoint, ChangeKind kind, long nanos, EndpointPlan plan) {
        /** An attach, reattach or swap: a regeneration. */
        public boolean reloads() {
            return kind != null && kind.reloads();
        }
    }

    public final List<Call> calls = java.util.Collections.synchronizedList(new ArrayList<>());
    public final Map<Integer, PlanFingerprint> running = new ConcurrentHashMap<>();
    public final Map<Integer, EndpointPolicy> policies = new ConcurrentHashMap<>();
    public volatile NodeState node = NodeState.EMPTY;
    volatile AdoptedState adopted = AdoptedState.NOTHING;
    /** Endpoints whose next N regenerations fail. */
    final Map<Integer, AtomicInteger> failNext = new ConcurrentHashMap<>();
    final Set<Integer> alwaysFail = ConcurrentHashMap.newKeySet();
    final AtomicInteger nodeFailures = new AtomicInteger();
    /** Regenerations of these endpoints wait for the latch. */
    final Map<Integer, CountDownLatch> gates = new ConcurrentHashMap<>();
    final AtomicInteger concurrent = new AtomicInteger();
    final AtomicInteger maxConcurrent = new AtomicInteger();
    private final AtomicInteger programIds = new AtomicInteger(100);
    /** When set, attaches and reattaches bring endpoints up on tier 0 (shared programs 1 and 2). */
    volatile boolean tiered;
    /** Endpoints on tier 0 now. */
    public final Set<Integer> onTier0 = ConcurrentHashMap.newKeySet();
    /** Endpoints whose promotion to tier 1 fails (the verifier, say). */
    final Set<Integer> promotionFails = ConcurrentHashMap.newKeySet();

    @Override
    public RegenerateResult promote(EndpointPlan plan) {
        calls.add(new Call("promote", plan.id(), ChangeKind.PROMOTE, System.nanoTime(), plan));
        if (!onTier0.contains(plan.id())) {
            throw new IllegalStateException("endpoint " + plan.id() + " is not on tier 0");
        }
        if (promotionFails.contains(plan.id())) {
            throw new KilnException("endpoint " + plan.id() + ": tier 1: program to_endpoint: verifier rejected it");
        }
        onTier0.remove(plan.id());
        return new RegenerateResult(Map.of("from_endpoint", programIds.incrementAndGet(),
                "to_endpoint", programIds.incrementAndGet()), "tier1", 1);
    }

    @Override
    public RegenerateResult attach(EndpointPlan plan) {
        return regenerate("attach", plan, ChangeKind.CREATE);
    }

    @Override
    public RegenerateResult reattach(EndpointPlan plan) {
        return regenerate("reattach", plan, ChangeKind.RECREATE);
    }

    @Override
    public RegenerateResult swap(EndpointPlan plan, ChangeKind kind) {
        return regenerate("swap", plan, kind);
    }

    private RegenerateResult regenerate(String what, EndpointPlan plan, ChangeKind kind) {
        int now = concurrent.incrementAndGet();
        maxConcurrent.accumulateAndGet(now, Math::max);
        try {
            calls.add(new Call(what, plan.id(), kind, System.nanoTime(), plan));
            CountDownLatch gate = gates.get(plan.id());
            if (gate != null) {
                try {
                    if (!gate.await(20, TimeUnit.SECONDS)) {
                        throw new IllegalStateException("gate of endpoint " + plan.id() + " never opened");
                    }
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                    throw new IllegalStateException(e);
                }
            }
            AtomicInteger n = failNext.get(plan.id());
            if (alwaysFail.contains(plan.id()) || (n != null && n.getAndDecrement() > 0)) {
                throw new KilnException("endpoint " + plan.id() + ": template endpoint: program to_endpoint: "
                        + "verifier rejected it: R2 invalid mem access");
            }
            running.put(plan.id(), plan.fingerprint());
            policies.put(plan.id(), plan.policy());
            if (tiered && (kind == ChangeKind.CREATE || kind == ChangeKind.RECREATE)) {
                onTier0.add(plan.id());
                return new RegenerateResult(Map.of("from_endpoint", 1, "to_endpoint", 2), "tier0", 0);
            }
            onTier0.remove(plan.id());
            return new RegenerateResult(Map.of("from_endpoint", programIds.incrementAndGet(),
                    "to_endpoint", programIds.incrementAndGet()), "variant-" + plan.build().canonical().hashCode());
        } finally {
            concurrent.decrementAndGet();
        }
    }

    @Override
    public void applyPolicyOps(int endpointId, List<PolicyOp> ops) {
        calls.add(new Call("policy", endpointId, ChangeKind.STATE_ONLY, System.nanoTime(), null));
        policies.put(endpointId, StateDiff.apply(policies.getOrDefault(endpointId, EndpointPolicy.EMPTY), ops));
    }

    @Override
    public void applyNodeOps(List<NodeMapOp> ops) {
        calls.add(new Call("node", -1, null, System.nanoTime(), null));
        if (nodeFailures.getAndDecrement() > 0) {
            throw new KilnException("node map ipcache: not pinned yet");
        }
        node = StateDiff.apply(node, ops);
    }

    @Override
    public void detach(int endpointId) {
        calls.add(new Call("detach", endpointId, ChangeKind.REMOVE, System.nanoTime(), null));
        running.remove(endpointId);
        policies.remove(endpointId);
    }

    @Override
    public AdoptedState adopt() {
        calls.add(new Call("adopt", -1, null, System.nanoTime(), null));
        return adopted;
    }

    /** What a restarted agent would find: what this dataplane runs now. */
    public void adoptWhatRuns() {
        List<ActualEndpoint> eps = new ArrayList<>();
        running.forEach((id, fp) -> eps.add(new ActualEndpoint(id, fp, policies.get(id), Map.of(), null,
                onTier0.contains(id) ? 0 : 1)));
        adopted = new AdoptedState(eps, node);
    }

    /** The attaches, reattaches and swaps of one endpoint, in order. */
    public List<Call> regenerations(int endpoint) {
        synchronized (calls) {
            return calls.stream().filter(c -> c.reloads() && c.endpoint() == endpoint).toList();
        }
    }

    public List<Call> callsOf(String what, int endpoint) {
        synchronized (calls) {
            return calls.stream().filter(c -> c.what().equals(what) && c.endpoint() == endpoint).toList();
        }
    }
}
