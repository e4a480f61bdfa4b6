package io.kiln.agent.dataplane;

import io.prometheus.metrics.model.snapshots.GaugeSnapshot;
import io.prometheus.metrics.model.snapshots.GaugeSnapshot.GaugeDataPointSnapshot;
import io.prometheus.metrics.model.snapshots.Labels;
import io.prometheus.metrics.model.snapshots.MetricSnapshot;

import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.TreeMap;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.TimeUnit;

/**
 * The moves of endpoints' tc hooks between tcx and legacy tc that failed ({@code --attach} asked for
 * the other kind, the kernel refused): each is tried again after 1 s, then after twice the last wait,
 * at most {@link #LONGEST} apart, {@value #ATTEMPTS} attempts in all; then it is given up (a restart of
 * the agent tries again). Meanwhile the endpoint runs on the kind it had. Every failure and the wait
 * before the next attempt are printed on stderr; {@code /metrics} shows each endpoint's kind and the
 * moves pending. Thread-safe.
 */
final class TcMoves implements AutoCloseable {
    /** Attempts in all, the first (at adoption) included. */
    static final int ATTEMPTS = 10;
    static final Duration FIRST = Duration.ofSeconds(1);
    static final Duration LONGEST = Duration.ofSeconds(60);
    static final String HOOKS = "kiln_endpoint_tc_hooks";
    static final String PENDING = "kiln_endpoint_tc_move_failures";

    /**
     * A move that failed: the kinds it is from and to, the failed attempts so far, the last reason, and
     * when the next attempt is due (null: given up).
     */
    record Pending(int endpointId, String from, String to, int failures, String reason, Instant nextAttempt) {
    }

    private final Map<Integer, Pending> pending = new ConcurrentHashMap<>();
    private final Map<Integer, ScheduledFuture<?>> timers = new ConcurrentHashMap<>();
    private ScheduledExecutorService timer;
    private boolean closed;

    /** The move of endpoint {@code id} failed (again) with {@code reason}: {@code retry} runs later unless it was the last. */
    synchronized void failed(int id, String from, String to, String reason, Runnable retry) {
        Pending before = pending.get(id);
        int failures = before == null ? 1 : before.failures() + 1;
        String head = "kiln agent: endpoint " + id + ": attached with " + from + ", kept so: " + reason + "; ";
        if (failures >= ATTEMPTS || closed) {
            pending.put(id, new Pending(id, from, to, failures, reason, null));
            System.err.println(head + "the move to " + to + " is given up after " + failures + " attempt(s); the"
                    + " agent tries again when it is restarted");
            return;
        }
        long millis = Math.min(FIRST.toMillis() << Math.min(failures - 1, 20), LONGEST.toMillis());
        pending.put(id, new Pending(id, from, to, failures, reason, Instant.now().plusMillis(millis)));
        System.err.println(head + "the move to " + to + " is tried again in " + millis / 1000.0 + " s (attempt "
                + (failures + 1) + " of " + ATTEMPTS + ")");
        if (timer == null) {
            timer = Executors.newSingleThreadScheduledExecutor(r -> {
                Thread t = new Thread(r, "kiln-tc-move-retry");
                t.setDaemon(true);
                return t;
            });
        }
        ScheduledFuture<?> old = timers.put(id, timer.schedule(() -> {
            try {
                retry.run();
            } catch (RuntimeException e) {
                System.err.println("kiln agent: endpoint " + id + ": the move to " + to + " failed: " + e.getMessage());
            }
        }, millis, TimeUnit.MILLISECONDS));
        if (old != null) {
            old.cancel(false);
        }
    }

    /** Endpoint {@code id} needs no move (any more): moved, detached, or attached afresh. */
    synchronized void done(int id) {
        pending.remove(id);
        ScheduledFuture<?> t = timers.remove(id);
        if (t != null) {
            t.cancel(false);
        }
    }

    Optional<Pending> pending(int id) {
        return Optional.ofNullable(pending.get(id));
    }

    /** A pending move as {@code kiln status} shows it: "to tc: 2 failed attempt(s), next at T: REASON". */
    static String describe(Pending p) {
        return "to " + p.to() + ": " + p.failures() + " failed attempt(s), " + (p.nextAttempt() == null
                ? "given up (a restart of the agent tries again)" : "next at " + p.nextAttempt()) + ": " + p.reason();
    }

    /**
     * {@value #HOOKS}: 1 per endpoint and the kind of its tc hooks ({@code kinds}); {@value #PENDING}: the
     * failed attempts of each pending move, by endpoint, from, to and state ({@code retrying}, {@code given_up}).
     */
    List<MetricSnapshot> metrics(Map<Integer, String> kinds) {
        GaugeSnapshot.Builder hooks = GaugeSnapshot.builder().name(HOOKS)
                .help("1 per endpoint and the kind of attachment of its tc hooks (tcx, tc).");
        kinds.forEach((id, kind) -> hooks.dataPoint(GaugeDataPointSnapshot.builder().value(1)
                .labels(Labels.of("endpoint", String.valueOf(id), "kind", kind)).build()));
        GaugeSnapshot.Builder moves = GaugeSnapshot.builder().name(PENDING)
                .help("Failed attempts of a pending move of an endpoint's tc hooks to the kind --attach asks for.");
        new TreeMap<>(pending).values().forEach(p -> moves.dataPoint(GaugeDataPointSnapshot.builder()
                .value(p.failures()).labels(Labels.of("endpoint", String.valueOf(p.endpointId()), "from", p.from(),
                        "to", p.to(), "state", p.nextAttempt() == null ? "given_up" : "retrying")).build()));
        return List.of(hooks.build(), moves.build());
    }

    @Override
    public void close() {
        ScheduledExecutorService t;
        synchronized (this) {
            closed = true;
            t = timer;
            timers.values().forEach(f -> f.cancel(false));
            timers.clear();
        }
        if (t != null) {
            t.shutdown();
            try {
                t.awaitTermination(10, TimeUnit.SECONDS); // a move under way finishes: no hook is left half moved
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        }
    }
}
