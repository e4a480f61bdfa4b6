package io.kiln.agent.reconcile;

import io.kiln.agent.api.AgentStatus;
import io.kiln.agent.api.MetricsProvider;
import io.kiln.agent.api.StatusProvider;
import io.kiln.agent.plan.ChangeKind;
import io.kiln.agent.plan.EndpointPlan;
import io.kiln.agent.plan.Plan;
import io.kiln.agent.policy.EndpointPolicy;
import io.kiln.agent.policy.NodeState;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.TreeMap;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ThreadFactory;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;

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
 *
 * <p>This class is the scheduler (slots, queue, retries, settling); the dataplane calls are
 * {@link EndpointWork} and {@link NodeMapWork}, {@code kiln status} is {@link StatusReport}, the
 * figures {@link ReconcilerMetrics}.
 */
public final class Reconciler implements StatusProvider, MetricsProvider, AutoCloseable {
    private final Dataplane dataplane;
    private final ReconcilerOptions options;
    private final ExecutorService workers;
    private final ExecutorService promoters;
    /** Map writes only (policy and node maps): never behind a load, a clang run or a verifier. */
    private final ExecutorService fastLane;
    private final ScheduledExecutorService timer;
    private final Object lock = new Object();
    private final Map<Integer, EndpointSlot> slots = new TreeMap<>();
    private final NodeSlot node = new NodeSlot();
    private final ReconcilerMetrics metrics = new ReconcilerMetrics();
    private final EndpointWork endpointWork;
    private final NodeMapWork nodeMapWork;
    private Plan plan;
    private boolean started;
    private boolean closed;

    public Reconciler(Dataplane dataplane, ReconcilerOptions options) {
        this.dataplane = Objects.requireNonNull(dataplane, "dataplane");
        this.options = Objects.requireNonNull(options, "options");
        this.endpointWork = new EndpointWork(dataplane, metrics);
        this.nodeMapWork = new NodeMapWork(dataplane, metrics);
        this.workers = Executors.newFixedThreadPool(options.parallelism(), threads("kiln-reconcile"));
        // promotions (tier 0 to tier 1: clang, the verifier) never hold up a new endpoint's tier-0 attach
        this.promoters = Executors.newFixedThreadPool(options.parallelism(), threads("kiln-promote"));
        // a policy change is a few map writes: it must not queue behind another endpoint's regeneration
        this.fastLane = Executors.newSingleThreadExecutor(threads("kiln-state"));
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
                EndpointSlot s = slot(a.id());
                s.runs = true;
                s.adopted = true;
                s.fingerprint = a.fingerprint();
                s.policy = a.policy();
                s.programIds = a.programIds();
                s.variantKey = a.variantKey();
                s.tier = a.tier();
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
        for (EndpointSlot s : new ArrayList<>(slots.values())) {
            EndpointPlan wanted = plan.endpoints().get(s.id);
            if (s.failures > 0 && s.retry != null && Objects.equals(wanted, s.failedFor)) {
                continue; // the retry timer will come; the same plan failing again at once helps nobody
            }
            if (!s.inFlight && !s.queued && s.failures == 0
                    && ((wanted != null && wanted == s.syncedWith) || s.decide(wanted, plan) == ChangeKind.NONE)) {
                // in sync: no piece of work to hand to a thread (a rule change of one endpoint used to queue
                // one for every endpoint, ahead of its own)
                if (!s.runs && wanted == null) {
                    slots.remove(s.id);
                }
                continue;
            }
            schedule(s);
        }
    }

    private EndpointSlot slot(int id) {
        return slots.computeIfAbsent(id, EndpointSlot::new);
    }

    private void schedule(EndpointSlot s) {
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
            ExecutorService lane = lane(s);
            lane.execute(() -> work(s, lane));
        }
    }

    /**
     * Where the slot's next piece of work runs: map writes alone (or nothing) on the fast lane, a
     * promotion on the promoters, any other load on the workers. Decided again when it runs.
     */
    private ExecutorService lane(EndpointSlot s) {
        if (plan == null) {
            return workers;
        }
        EndpointPlan wanted = plan.endpoints().get(s.id);
        return switch (s.decide(wanted, plan)) {
            case NONE, STATE_ONLY -> fastLane;
            case PROMOTE -> s.onlyPromotionDue(wanted, plan) ? promoters : workers;
            default -> workers;
        };
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
            fastLane.execute(this::workNode); // node maps are map writes: the fast lane
        }
    }

    // ---- endpoint work ----

    /** @param on the pool this runs on */
    private void work(EndpointSlot s, ExecutorService on) {
        EndpointPlan wanted;
        ChangeKind kind;
        EndpointPolicy policyBefore;
        synchronized (lock) {
            s.queued = false;
            if (closed) {
                lock.notifyAll();
                return;
            }
            wanted = plan.endpoints().get(s.id);
            kind = s.decide(wanted, plan);
            if (kind.reloads() || kind == ChangeKind.REMOVE) {
                ExecutorService lane = lane(s);
                if (lane != on) {
                    // the plan changed since it was queued: loads go where they cannot hold up map writes
                    s.queued = true;
                    lane.execute(() -> work(s, lane));
                    return;
                }
            }
            s.inFlight = true;
            policyBefore = s.policy == null ? EndpointPolicy.EMPTY : s.policy;
        }
        long t0 = System.nanoTime();
        RegenerateResult result = null;
        RuntimeException failure = null;
        try {
            result = endpointWork.apply(s.id, kind, wanted, policyBefore);
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
                metrics.count(kind, failure == null);
            }
            if (failure == null) {
                regenerated = kind.reloads();
                s.succeeded(kind, wanted, result, seconds, options.clock().instant());
            } else {
                failed(s, kind, wanted, failure);
            }
            if (s.dirty) {
                s.dirty = false;
                schedule(s);
            } else if (failure == null && s.tier == 0 && plan.endpoints().get(s.id) != null) {
                schedule(s); // up on tier 0: its specialized program comes next
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
            metrics.regenerated(kind, seconds);
        }
    }

    private void failed(EndpointSlot s, ChangeKind kind, EndpointPlan wanted, RuntimeException e) {
        Duration wait = options.backoff(s.failures + 1);
        s.failed(kind, wanted, e, options.clock().instant().plus(wait));
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
        try {
            nodeMapWork.apply(from, to);
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

    /**
     * Waits until the node maps hold the latest plan's node state and these endpoints' policy maps
     * its policies (an endpoint the plan does not have is not waited for); true if that happened
     * within {@code timeout}. Other endpoints' work (a reload, a compile) is not waited for: what a
     * DNS answer waits for (io.kiln.agent.fqdn) is a few map writes on the fast lane.
     */
    public boolean awaitApplied(java.util.Collection<Integer> endpointIds, Duration timeout) throws InterruptedException {
        long deadline = System.nanoTime() + timeout.toNanos();
        synchronized (lock) {
            while (!applied(endpointIds)) {
                long left = deadline - System.nanoTime();
                if (left <= 0) {
                    return false;
                }
                TimeUnit.NANOSECONDS.timedWait(lock, left);
            }
            return true;
        }
    }

    private boolean applied(java.util.Collection<Integer> endpointIds) {
        if (!started || plan == null || node.queued || node.inFlight || !plan.node().equals(node.actual)) {
            return false;
        }
        for (Integer id : endpointIds) {
            EndpointPlan wanted = plan.endpoints().get(id);
            if (wanted == null) {
                continue;
            }
            EndpointSlot s = slots.get(id);
            if (s == null || s.queued || s.inFlight || !wanted.policy().equals(s.policy)) {
                return false;
            }
        }
        return true;
    }

    private boolean settled() {
        if (!started || plan == null) {
            return false;
        }
        if (node.queued || node.inFlight) {
            return false;
        }
        for (EndpointSlot s : slots.values()) {
            if (s.queued || s.inFlight) {
                return false;
            }
        }
        return true;
    }

    @Override
    public AgentStatus status() {
        Map<Integer, Dataplane.HookSummary> hooks;
        try {
            hooks = dataplane.hookSummaries(); // outside the lock: the dataplane's own locks are never taken under it
        } catch (RuntimeException e) {
            hooks = Map.of();
        }
        synchronized (lock) {
            return StatusReport.of(options.clock().instant(), started, plan, slots, node, hooks);
        }
    }

    @Override
    public io.prometheus.metrics.model.snapshots.MetricSnapshots collect() {
        return metrics.collect(status().endpoints());
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
        for (ExecutorService pool : List.of(fastLane, workers, promoters)) {
            pool.shutdown();
            try {
                if (!pool.awaitTermination(30, TimeUnit.SECONDS)) {
                    pool.shutdownNow();
                }
            } catch (InterruptedException e) {
                pool.shutdownNow();
                Thread.currentThread().interrupt();
            }
        }
    }
}
