package io.kiln.agent.reconcile;

import io.kiln.agent.api.AgentMetrics;
import io.kiln.agent.api.AgentStatus;
import io.kiln.agent.api.EndpointStatus;
import io.kiln.agent.api.LatencyHistogram;
import io.kiln.agent.api.MetricFamily;
import io.kiln.agent.api.MetricsProvider;
import io.kiln.agent.api.StatusProvider;
import io.kiln.agent.plan.ChangeKind;
import io.kiln.agent.plan.EndpointPlan;
import io.kiln.agent.plan.Plan;
import io.kiln.agent.policy.EndpointPolicy;
import io.kiln.agent.policy.NodeMapOp;
import io.kiln.agent.policy.NodeState;
import io.kiln.agent.policy.PolicyOp;
import io.kiln.agent.policy.StateDiff;
import io.kiln.agent.spec.SpecError;
import io.kiln.agent.spec.SpecKind;

import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.TreeMap;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.ThreadFactory;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;

/**
 * Keeps what runs equal to the latest {@link Plan}. Each endpoint has one slot: at most one piece
 * of work in flight for it, and a change arriving meanwhile is folded into the next piece (the
 * latest plan wins; intermediate ones are never applied). At most {@code parallelism} endpoints
 * are worked on at once. A failed endpoint is retried with exponential backoff, at once if its
 * plan changes, and nothing it does touches another endpoint: it keeps whatever ran before, and
 * its status says why. The node maps are one more slot with the same rules.
 *
 * <p>At {@link #start} the reconciler asks the dataplane what already runs (a restarted agent
 * adopts its predecessor's programs) and from then on diffs against it, so an endpoint whose
 * plan did not change is not reloaded and its map entries are not rewritten.
 */
public final class Reconciler implements StatusProvider, MetricsProvider, AutoCloseable {
    private final Dataplane dataplane;
    private final ReconcilerOptions options;
    private final ExecutorService workers;
    private final ScheduledExecutorService timer;
    private final Object lock = new Object();
    private final Map<Integer, Slot> slots = new TreeMap<>();
    private final NodeSlot node = new NodeSlot();
    private final LatencyHistogram latency = new LatencyHistogram(AgentMetrics.REGENERATION_SECONDS,
            "Time to bring an endpoint to its plan, by kind of change.", "kind", LatencyHistogram.DEFAULT_BUCKETS);
    private final Map<String, AtomicLong> outcomes = new java.util.concurrent.ConcurrentHashMap<>();
    private final AtomicLong policyOps = new AtomicLong();
    private final AtomicLong nodeOps = new AtomicLong();
    private Plan plan;
    private boolean started;
    private boolean closed;

    public Reconciler(Dataplane dataplane, ReconcilerOptions options) {
        this.dataplane = Objects.requireNonNull(dataplane, "dataplane");
        this.options = Objects.requireNonNull(options, "options");
        this.workers = Executors.newFixedThreadPool(options.parallelism(), threads("kiln-reconcile"));
        this.timer = Executors.newSingleThreadScheduledExecutor(threads("kiln-retry"));
    }

    private static ThreadFactory threads(String name) {
        AtomicInteger n = new AtomicInteger();
        return r -> {
            Thread t = new Thread(r, name + "-" + n.incrementAndGet());
            t.setDaemon(true);
            return t;
        };
    }

    /**
     * Adopts what runs, then works toward the latest plan (if one came already). Until then nothing
     * is changed: an agent restarting leaves every program alone until its sources have spoken.
     */
    public void start() {
        AdoptedState adopted = dataplane.adopt();
        synchronized (lock) {
            for (ActualEndpoint a : adopted.endpoints()) {
                Slot s = slot(a.id());
                s.runs = true;
                s.adopted = true;
                s.fingerprint = a.fingerprint();
                s.policy = a.policy();
                s.programIds = a.programIds();
                s.variantKey = a.variantKey();
            }
            node.actual = adopted.node() == null ? NodeState.EMPTY : adopted.node();
            started = true;
            if (plan != null) {
                scheduleAll();
            }
        }
    }

    /** Takes a new plan; returns at once. */
    public void update(Plan newPlan) {
        synchronized (lock) {
            plan = Objects.requireNonNull(newPlan, "plan");
            for (Integer id : newPlan.endpoints().keySet()) {
                slot(id).everWanted = true;
            }
            if (started) {
                scheduleAll();
            }
        }
    }

    private void scheduleAll() {
        // node maps first: a new endpoint's ipcache entry should be there when its programs start
        if (node.failures == 0 || !plan.node().equals(node.failedFor)) {
            scheduleNode();
        }
        for (Integer id : plan.endpoints().keySet()) {
            slot(id);
        }
        for (Slot s : new ArrayList<>(slots.values())) {
            EndpointPlan wanted = plan.endpoints().get(s.id);
            if (s.failures > 0 && s.retry != null && Objects.equals(wanted, s.failedFor)) {
                continue; // the retry timer will come; the same plan failing again at once helps nobody
            }
            schedule(s);
        }
    }

    private Slot slot(int id) {
        return slots.computeIfAbsent(id, Slot::new);
    }

    private void schedule(Slot s) {
        if (closed) {
            return;
        }
        if (s.retry != null) {
            s.retry.cancel(false);
            s.retry = null;
        }
        if (s.inFlight) {
            s.dirty = true;
        } else if (!s.queued) {
            s.queued = true;
            workers.execute(() -> work(s));
        }
    }

    private void scheduleNode() {
        if (closed) {
            return;
        }
        if (node.retry != null) {
            node.retry.cancel(false);
            node.retry = null;
        }
        if (node.inFlight) {
            node.dirty = true;
        } else if (!node.queued) {
            node.queued = true;
            workers.execute(this::workNode);
        }
    }

    // ---- endpoint work ----

    private void work(Slot s) {
        EndpointPlan wanted;
        ChangeKind kind;
        EndpointPolicy policyBefore;
        synchronized (lock) {
            s.queued = false;
            if (closed) {
                lock.notifyAll();
                return;
            }
            s.inFlight = true;
            wanted = plan.endpoints().get(s.id);
            kind = decide(s, wanted);
            policyBefore = s.policy == null ? EndpointPolicy.EMPTY : s.policy;
        }
        long t0 = System.nanoTime();
        RegenerateResult result = null;
        RuntimeException failure = null;
        try {
            switch (kind) {
                case NONE -> { }
                case STATE_ONLY -> {
                    List<PolicyOp> ops = StateDiff.policy(policyBefore, wanted.policy());
                    dataplane.applyPolicyOps(s.id, ops);
                    policyOps.addAndGet(ops.size());
                }
                case REMOVE -> dataplane.detach(s.id);
                case CREATE -> result = Objects.requireNonNull(dataplane.attach(wanted), "Dataplane.attach returned null");
                case RECREATE -> result = Objects.requireNonNull(dataplane.reattach(wanted),
                        "Dataplane.reattach returned null");
                default -> result = Objects.requireNonNull(dataplane.swap(wanted, kind), "Dataplane.swap returned null");
            }
        } catch (RuntimeException e) {
            failure = e;
        } catch (Error e) {
            // an Error from the dataplane (an assertion, a linkage problem) must not leave the slot in flight forever
            failure = new IllegalStateException("dataplane failed: " + e, e);
        }
        double seconds = (System.nanoTime() - t0) / 1e9;
        boolean regenerated = false;
        synchronized (lock) {
            s.inFlight = false;
            if (kind != ChangeKind.NONE) {
                s.lastChange = kind;
                count(kind, failure == null);
            }
            if (failure == null) {
                regenerated = kind.reloads();
                succeeded(s, kind, wanted, result, seconds);
            } else {
                failed(s, wanted, failure);
            }
            if (s.dirty) {
                s.dirty = false;
                schedule(s);
            }
            if (!s.runs && plan.endpoints().get(s.id) == null && !s.inFlight && !s.queued && s.failures == 0) {
                slots.remove(s.id);
            }
            if (regenerated && node.failures > 0) {
                scheduleNode(); // the endpoint's load may have created the node maps the node slot failed on
            }
            lock.notifyAll();
        }
        if (kind.reloads() && failure == null) {
            latency.observe(kind.name(), seconds);
        }
    }

    private ChangeKind decide(Slot s, EndpointPlan wanted) {
        if (wanted == null) {
            if (!s.runs || plan.held().contains(s.id) || (s.adopted && !s.everWanted && !plan.complete())) {
                return ChangeKind.NONE;
            }
            return ChangeKind.REMOVE;
        }
        if (s.runs && s.fingerprint == null) {
            return ChangeKind.CONSTANTS; // adopted without knowing what from: reload once, in place
        }
        return ChangeKind.between(s.runs ? s.fingerprint : null, s.policy, wanted);
    }

    private void succeeded(Slot s, ChangeKind kind, EndpointPlan wanted, RegenerateResult result, double seconds) {
        s.failures = 0;
        s.failedFor = null;
        s.reason = null;
        s.nextRetry = null;
        switch (kind) {
            case REMOVE -> {
                s.runs = false;
                s.fingerprint = null;
                s.policy = null;
                s.programIds = Map.of();
                s.variantKey = null;
            }
            case STATE_ONLY -> s.policy = wanted.policy();
            case NONE -> { }
            default -> {
                s.runs = true;
                s.fingerprint = wanted.fingerprint();
                s.policy = wanted.policy();
                s.programIds = result.programIds();
                s.variantKey = result.variantKey();
                s.lastRegeneration = options.clock().instant();
                s.lastMillis = Math.round(seconds * 1000);
            }
        }
    }

    private void failed(Slot s, EndpointPlan wanted, RuntimeException e) {
        s.failures++;
        s.failedFor = wanted;
        s.reason = e.getMessage() == null ? e.toString() : e.getMessage();
        Duration wait = options.backoff(s.failures);
        s.nextRetry = options.clock().instant().plus(wait);
        if (!closed) {
            s.retry = timer.schedule(() -> {
                synchronized (lock) {
                    s.retry = null;
                    schedule(s);
                }
            }, wait.toMillis(), TimeUnit.MILLISECONDS);
        }
    }

    // ---- node work ----

    private void workNode() {
        NodeState from;
        NodeState to;
        synchronized (lock) {
            node.queued = false;
            if (closed) {
                lock.notifyAll();
                return;
            }
            node.inFlight = true;
            from = node.actual;
            to = plan.node();
        }
        RuntimeException failure = null;
        List<NodeMapOp> ops = StateDiff.node(from, to);
        try {
            if (!ops.isEmpty()) {
                dataplane.applyNodeOps(ops);
                nodeOps.addAndGet(ops.size());
            }
        } catch (RuntimeException e) {
            failure = e;
        } catch (Error e) {
            failure = new IllegalStateException("dataplane failed: " + e, e);
        }
        synchronized (lock) {
            node.inFlight = false;
            if (failure == null) {
                node.actual = to;
                node.failures = 0;
                node.failedFor = null;
                node.reason = null;
            } else {
                node.failures++;
                node.failedFor = to;
                node.reason = failure.getMessage() == null ? failure.toString() : failure.getMessage();
                Duration wait = options.backoff(node.failures);
                if (!closed) {
                    node.retry = timer.schedule(() -> {
                        synchronized (lock) {
                            node.retry = null;
                            scheduleNode();
                        }
                    }, wait.toMillis(), TimeUnit.MILLISECONDS);
                }
            }
            if (node.dirty) {
                node.dirty = false;
                scheduleNode();
            }
            lock.notifyAll();
        }
    }

    // ---- observing ----

    /**
     * Waits until no work is queued or in flight (failed endpoints waiting for a retry count as
     * settled); true if that happened within {@code timeout}.
     */
    public boolean awaitSettled(Duration timeout) throws InterruptedException {
        long deadline = System.nanoTime() + timeout.toNanos();
        synchronized (lock) {
            while (!settled()) {
                long left = deadline - System.nanoTime();
                if (left <= 0) {
                    return false;
                }
                TimeUnit.NANOSECONDS.timedWait(lock, left);
            }
            return true;
        }
    }

    private boolean settled() {
        if (!started || plan == null) {
            return false;
        }
        if (node.queued || node.inFlight) {
            return false;
        }
        for (Slot s : slots.values()) {
            if (s.queued || s.inFlight) {
                return false;
            }
        }
        return true;
    }

    @Override
    public AgentStatus status() {
        synchronized (lock) {
            Plan p = plan == null ? Plan.EMPTY : plan;
            Map<String, SpecError> specErrors = new TreeMap<>();
            for (SpecError e : p.errors()) {
                if (e.kind() == SpecKind.ENDPOINT && e.key() != null) {
                    specErrors.putIfAbsent(e.key(), e);
                }
            }
            List<EndpointStatus> out = new ArrayList<>();
            Map<Integer, Slot> all = new TreeMap<>(slots);
            for (Integer held : p.held()) {
                all.putIfAbsent(held, new Slot(held));
            }
            int ready = 0;
            for (Slot s : all.values()) {
                EndpointStatus st = status(s, p, specErrors.get(Integer.toString(s.id)));
                ready += st.state() == EndpointStatus.State.READY ? 1 : 0;
                out.add(st);
            }
            EndpointStatus.State nodeState = node.failures > 0 ? EndpointStatus.State.NOT_READY
                    : node.queued || node.inFlight || plan == null ? EndpointStatus.State.PENDING
                    : EndpointStatus.State.READY;
            return new AgentStatus(options.clock().instant(), started && plan != null, out.size(), ready, out, nodeState,
                    node.reason, p.errors());
        }
    }

    private EndpointStatus status(Slot s, Plan p, SpecError specError) {
        EndpointPlan wanted = p.endpoints().get(s.id);
        EndpointStatus.State state;
        String reason = s.reason;
        if (s.failures > 0) {
            state = EndpointStatus.State.NOT_READY;
        } else if (s.queued || s.inFlight || !started || plan == null) {
            state = wanted == null && s.runs && !p.held().contains(s.id) ? EndpointStatus.State.REMOVING
                    : EndpointStatus.State.PENDING;
        } else if (wanted == null) {
            state = s.runs && !p.held().contains(s.id) && decide(s, null) == ChangeKind.REMOVE
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
                s.failures, s.nextRetry);
    }

    @Override
    public List<MetricFamily> metrics() {
        List<MetricFamily> out = new ArrayList<>();
        out.add(latency.family());
        List<MetricFamily.Sample> counts = new ArrayList<>();
        outcomes.forEach((k, v) -> {
            String[] kr = k.split("/");
            counts.add(MetricFamily.Sample.of(Map.of("kind", kr[0], "result", kr[1]), v.get()));
        });
        out.add(new MetricFamily(AgentMetrics.REGENERATIONS, "Changes applied to endpoints, by kind and result.",
                MetricFamily.Type.COUNTER, counts));
        out.add(new MetricFamily(AgentMetrics.MAP_OPS, "Map writes and deletes for state-only changes.",
                MetricFamily.Type.COUNTER, List.of(MetricFamily.Sample.of(Map.of("scope", "endpoint"), policyOps.get()),
                MetricFamily.Sample.of(Map.of("scope", "node"), nodeOps.get()))));
        Map<String, Integer> byState = new TreeMap<>();
        for (EndpointStatus.State st : EndpointStatus.State.values()) {
            byState.put(st.name().toLowerCase(java.util.Locale.ROOT), 0);
        }
        status().endpoints().forEach(e -> byState.merge(e.state().name().toLowerCase(java.util.Locale.ROOT), 1, Integer::sum));
        List<MetricFamily.Sample> gauges = new ArrayList<>();
        byState.forEach((k, v) -> gauges.add(MetricFamily.Sample.of(Map.of("state", k), v)));
        out.add(new MetricFamily(AgentMetrics.ENDPOINTS, "Endpoints by state.", MetricFamily.Type.GAUGE, gauges));
        return out;
    }

    private void count(ChangeKind kind, boolean ok) {
        outcomes.computeIfAbsent(kind.name() + "/" + (ok ? "ok" : "failed"), k -> new AtomicLong()).incrementAndGet();
    }

    /** Stops working; work in flight finishes. Programs stay as they are. */
    @Override
    public void close() {
        synchronized (lock) {
            closed = true;
            slots.values().forEach(s -> {
                if (s.retry != null) {
                    s.retry.cancel(false);
                }
            });
            lock.notifyAll();
        }
        timer.shutdownNow();
        workers.shutdown();
        try {
            if (!workers.awaitTermination(30, TimeUnit.SECONDS)) {
                workers.shutdownNow();
            }
        } catch (InterruptedException e) {
            workers.shutdownNow();
            Thread.currentThread().interrupt();
        }
    }

    /** One endpoint: what runs, what failed, and its place in the queue. Guarded by {@code lock}. */
    private static final class Slot {
        final int id;
        boolean runs;
        boolean adopted;
        boolean everWanted;
        io.kiln.agent.plan.PlanFingerprint fingerprint;
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

        Slot(int id) {
            this.id = id;
        }
    }

    private static final class NodeSlot {
        NodeState actual = NodeState.EMPTY;
        boolean queued;
        boolean inFlight;
        boolean dirty;
        int failures;
        NodeState failedFor;
        ScheduledFuture<?> retry;
        String reason;
    }
}
