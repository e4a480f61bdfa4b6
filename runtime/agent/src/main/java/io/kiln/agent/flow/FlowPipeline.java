package io.kiln.agent.flow;

import io.kiln.agent.api.FlowSource;
import io.kiln.agent.api.MetricsProvider;
import io.kiln.agent.internal.PinnedRing;
import io.kiln.agent.plan.Plan;
import io.kiln.bpf.BpfMap;
import io.kiln.templates.FlowEvent;
import io.prometheus.metrics.core.metrics.CounterWithCallback;
import io.prometheus.metrics.core.metrics.GaugeWithCallback;
import io.prometheus.metrics.model.snapshots.MetricSnapshot;
import io.prometheus.metrics.model.snapshots.MetricSnapshots;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ArrayBlockingQueue;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.Consumer;
import java.util.function.Supplier;

/**
 * The agent's flow pipeline. A reader thread sleeps in {@code epoll_wait} on the node ring buffer
 * {@code flow_events} and only decodes and queues what the kernel sends, so that the kernel's ring
 * drains as fast as it can; an enricher thread names the endpoints and peers of each event and
 * keeps the last {@link Options#capacity()} records. Nothing is lost silently: events the kernel
 * could not put in a full ring are counted in its {@code flow_lost} map, events the agent's queue
 * had no room for in {@link #agentDropped()}, records it could not decode in {@link #decodeErrors()}.
 *
 * <p>The ring buffer map is pinned when the first endpoint of the node loads; until then the
 * pipeline looks for its pin once a second.
 */
public final class FlowPipeline implements FlowSource, MetricsProvider, AutoCloseable {
    /**
     * @param nodeMapDir the folder of the node maps' pins ({@code /sys/fs/bpf/kiln/node})
     * @param capacity   recent flow records kept
     * @param queue      events decoded but not yet enriched, at most (the agent's backlog)
     * @param expiryScan how often to report and delete expired conntrack entries ({@link ConntrackExpiry});
     *                   {@link Duration#ZERO}: never (then {@link #scanExpired()} does it on demand)
     */
    public record Options(Path nodeMapDir, int capacity, int queue, Duration expiryScan) {
        public static final int DEFAULT_CAPACITY = 65536;
        public static final int DEFAULT_QUEUE = 65536;
        public static final Duration DEFAULT_EXPIRY_SCAN = Duration.ofSeconds(10);

        public Options {
            if (capacity < 1 || queue < 1) {
                throw new IllegalArgumentException("flow pipeline: capacity " + capacity + " and queue " + queue
                        + ": expected at least 1 each");
            }
            if (expiryScan == null || expiryScan.isNegative()) {
                throw new IllegalArgumentException("flow pipeline: expiry scan interval " + expiryScan
                        + ": expected 0 (never) or more");
            }
        }

        public static Options of(Path nodeMapDir) {
            return new Options(nodeMapDir, DEFAULT_CAPACITY, DEFAULT_QUEUE, DEFAULT_EXPIRY_SCAN);
        }
    }

    private static final String RING_MAP = "flow_events";
    private static final String LOST_MAP = "flow_lost";
    private static final String DROP_BUDGET_MAP = "flow_drop_budget";
    private static final Duration MAX_WAIT = Duration.ofSeconds(25);

    private final Options options;
    private final FlowEnricher enricher;
    private final FlowStore store;
    private final BlockingQueue<FlowEvent> queue;
    private final AtomicLong received = new AtomicLong();
    private final AtomicLong agentDropped = new AtomicLong();
    private final AtomicLong decodeErrors = new AtomicLong();
    private final AtomicLong[] byType = {new AtomicLong(), new AtomicLong(), new AtomicLong(), new AtomicLong()};
    private final PinnedRing ring;
    private final Thread enricherThread;
    private final Thread expiryThread;
    private final ConntrackExpiry expiry;
    private final AtomicLong expired = new AtomicLong();
    private volatile boolean closed;
    private volatile String lastDecodeError;
    private final FlowMetrics flowMetrics;
    private final List<Consumer<FlowRecord>> sinks = new CopyOnWriteArrayList<>();
    private final MetricsProvider pipelineMetrics;

    public FlowPipeline(Options options, Supplier<Plan> plan) {
        this(options, plan, new FlowMetrics(FlowMetrics.DEFAULT_MAX_PAIRS));
    }

    /** @param flowMetrics counts the published records by identity pair ({@code /metrics}) */
    public FlowPipeline(Options options, Supplier<Plan> plan, FlowMetrics flowMetrics) {
        this.options = options;
        this.flowMetrics = java.util.Objects.requireNonNull(flowMetrics, "flowMetrics");
        this.pipelineMetrics = pipelineMetrics();
        this.enricher = new FlowEnricher(plan);
        this.store = new FlowStore(options.capacity());
        this.queue = new ArrayBlockingQueue<>(options.queue());
        this.ring = new PinnedRing(options.nodeMapDir().resolve(RING_MAP), "kiln-flows", Duration.ofSeconds(1),
                this::onRecord).onError(e -> lastDecodeError = e);
        this.enricherThread = new Thread(this::enrichLoop, "kiln-flows-enrich");
        this.enricherThread.setDaemon(true);
        this.expiry = new ConntrackExpiry(options.nodeMapDir().resolve("conntrack"),
                options.nodeMapDir().resolve("conntrack6"), this::onExpired);
        this.expiryThread = options.expiryScan().isZero() ? null : new Thread(this::expiryLoop, "kiln-flows-expiry");
        if (expiryThread != null) {
            expiryThread.setDaemon(true);
        }
    }

    /**
     * Hands every record the pipeline publishes to {@code sink} too (on the enricher's thread, in
     * order; a sink that throws loses that record, not the pipeline). Add sinks before {@link #start()}.
     */
    public FlowPipeline sink(Consumer<FlowRecord> sink) {
        sinks.add(java.util.Objects.requireNonNull(sink, "sink"));
        return this;
    }

    /** Keeps the record for the API, counts it and hands it to the sinks. */
    private void publish(FlowRecord r) {
        FlowRecord kept = store.add(r);
        flowMetrics.record(kept);
        for (Consumer<FlowRecord> s : sinks) {
            try {
                s.accept(kept);
            } catch (RuntimeException bad) {
                lastDecodeError = "flow sink: " + bad;
            }
        }
    }

    public FlowPipeline start() {
        enricherThread.start();
        ring.start();
        if (expiryThread != null) {
            expiryThread.start();
        }
        return this;
    }

    /** Reports and deletes the expired IPv4 and IPv6 conntrack entries now; returns how many it deleted. */
    public synchronized int scanExpired() {
        return expiry.scan();
    }

    private void onExpired(FlowEvent e) {
        expired.incrementAndGet();
        publish(enricher.enrich(e, true));
    }

    private void expiryLoop() {
        while (!closed) {
            try {
                Thread.sleep(options.expiryScan().toMillis());
                scanExpired();
            } catch (InterruptedException e) {
                return;
            } catch (RuntimeException e) {
                lastDecodeError = "conntrack expiry scan: " + e.getMessage(); // the next scan tries again
            }
        }
    }

    /** Whether the reader is attached to the node ring buffer (false until its pin exists). */
    public boolean reading() {
        return ring.reading();
    }

    private void onRecord(java.nio.ByteBuffer record) {
        received.incrementAndGet();
        FlowEvent e;
        try {
            e = FlowEvent.decode(record);
        } catch (IllegalArgumentException bad) {
            decodeErrors.incrementAndGet();
            lastDecodeError = bad.getMessage();
            return;
        }
        byType[e.type().code() - 1].incrementAndGet();
        if (!queue.offer(e)) {
            agentDropped.incrementAndGet();
        }
    }

    private void enrichLoop() {
        while (!closed || !queue.isEmpty()) {
            FlowEvent e;
            try {
                e = queue.poll(200, TimeUnit.MILLISECONDS);
            } catch (InterruptedException ie) {
                return;
            }
            if (e != null) {
                try {
                    publish(enricher.enrich(e));
                } catch (RuntimeException bad) {
                    decodeErrors.incrementAndGet();
                    lastDecodeError = "enrich: " + bad;
                }
            }
        }
    }

    // ---- figures ----

    /** Events the agent read from the ring buffer. */
    public long received() {
        return received.get();
    }

    /** Events of this type the agent read from the ring buffer. */
    public long received(FlowEvent.Type type) {
        return byType[type.code() - 1].get();
    }

    /** Events the kernel could not send because the ring was full (the node's {@code flow_lost}, summed over CPUs). */
    public long kernelLost() {
        return sumPerCpu(LOST_MAP, 0);
    }

    /**
     * Drop events the dataplane left out because its per-CPU drop event budget was spent (build parameters
     * flowDropRate and flowDropBurst; {@code flow_drop_budget.suppressed}, summed over CPUs). The drops themselves
     * are still counted by reason in each endpoint's metrics.
     */
    public long dropEventsSuppressed() {
        return sumPerCpu(DROP_BUDGET_MAP, 8);
    }

    /** A u64 at {@code offset} of key 0 of a per-CPU node map, summed over CPUs; 0 while the map is not pinned. */
    private long sumPerCpu(String map, int offset) {
        Path pin = options.nodeMapDir().resolve(map);
        if (!Files.exists(pin)) {
            return 0;
        }
        try (BpfMap m = BpfMap.openPinned(pin)) {
            long sum = 0;
            for (byte[] v : m.lookupPerCpu(new byte[4]).orElse(List.of())) {
                sum += java.nio.ByteBuffer.wrap(v).order(java.nio.ByteOrder.nativeOrder()).getLong(offset);
            }
            return sum;
        } catch (RuntimeException gone) {
            return 0;
        }
    }

    /** Events read but thrown away because the agent's queue was full (the enricher was behind). */
    public long agentDropped() {
        return agentDropped.get();
    }

    public long decodeErrors() {
        return decodeErrors.get();
    }

    /** Events waiting to be enriched now. */
    public int backlog() {
        return queue.size();
    }

    /** The last sequence number given to a record (0: none yet). */
    public long lastSeq() {
        return store.lastSeq();
    }

    /** The pipeline's own figures, read at each scrape. */
    private MetricsProvider pipelineMetrics() {
        String[] names = {"start", "end", "drop", "update"};
        return MetricsProvider.of(
                CounterWithCallback.builder().name("kiln_flow_events_total")
                        .help("Flow events the agent read from the node ring buffer, by type.").labelNames("type")
                        .callback(c -> {
                            for (int i = 0; i < names.length; i++) {
                                c.call(byType[i].get(), names[i]);
                            }
                        }).build(),
                counter("kiln_flow_expired_total", "Flows the agent reported because their conntrack entry expired"
                        + " (no end event from the dataplane).", expired::get),
                counter("kiln_flow_events_lost_total", "Flow events the dataplane could not send because the ring"
                        + " buffer was full (flow_lost, read at each scrape).", this::kernelLost),
                counter("kiln_flow_drop_events_suppressed_total", "Drop events the dataplane left out because its"
                        + " per-CPU drop event budget was spent (flowDropRate, flowDropBurst; flow_drop_budget).",
                        this::dropEventsSuppressed),
                counter("kiln_flow_events_agent_dropped_total", "Flow events the agent read but dropped because its"
                        + " queue to the enricher was full.", this::agentDropped),
                counter("kiln_flow_events_decode_errors_total", "Flow events the agent could not decode or enrich.",
                        this::decodeErrors),
                GaugeWithCallback.builder().name("kiln_flow_backlog").help("Flow events read and waiting to be enriched.")
                        .callback(c -> c.call(backlog())).build(),
                GaugeWithCallback.builder().name("kiln_flow_records")
                        .help("Recent flow records the agent keeps for kiln flows.").callback(c -> c.call(store.size()))
                        .build());
    }

    private static CounterWithCallback counter(String name, String help, java.util.function.LongSupplier value) {
        return CounterWithCallback.builder().name(name).help(help).callback(c -> c.call(value.getAsLong())).build();
    }

    /** The flow metrics: by identity pair, round trips (the pipeline's own figures are in {@link #collect()}). */
    public FlowMetrics flowMetrics() {
        return flowMetrics;
    }

    @Override
    public MetricSnapshots collect() {
        List<MetricSnapshot> out = new ArrayList<>();
        pipelineMetrics.collect().forEach(out::add);
        flowMetrics.collect().forEach(out::add);
        return new MetricSnapshots(out);
    }

    // ---- the API ----

    /**
     * {@code GET /v1/flows}: one JSON object a line. Parameters: {@code after} (a sequence number: only
     * later records), {@code since} (an ISO-8601 instant, or a duration back from now such as
     * {@code 30s}, {@code 5m}, {@code 1h}), {@code limit} (the newest N, default 1000), {@code wait}
     * (milliseconds to wait for a first match, at most 25000), and the filters of {@link FlowFilter}.
     */
    @Override
    public String query(Map<String, String> q) throws InterruptedException {
        for (String k : q.keySet()) {
            if (!FlowFilter.PARAMETERS.contains(k) && !List.of("after", "since", "limit", "wait").contains(k)) {
                throw new IllegalArgumentException("unknown parameter '" + k + "'; known: after, since, limit, wait, "
                        + String.join(", ", new java.util.TreeSet<>(FlowFilter.PARAMETERS)));
            }
        }
        FlowFilter filter = FlowFilter.of(q);
        long after = number(q, "after", 0, Long.MAX_VALUE, 0);
        int limit = (int) number(q, "limit", 1, 1_000_000, 1000);
        long waitMs = number(q, "wait", 0, MAX_WAIT.toMillis(), 0);
        Instant since = q.get("since") == null ? null : since(q.get("since"));
        StringBuilder b = new StringBuilder();
        for (FlowRecord r : store.query(after, since, filter, limit, Duration.ofMillis(waitMs))) {
            b.append(r.toJson()).append('\n');
        }
        return b.toString();
    }

    private static long number(Map<String, String> q, String name, long min, long max, long dflt) {
        String v = q.get(name);
        if (v == null) {
            return dflt;
        }
        try {
            long n = Long.parseLong(v);
            if (n >= min && n <= max) {
                return n;
            }
        } catch (NumberFormatException e) {
            // below
        }
        throw new IllegalArgumentException(name + " '" + v + "': expected a number " + min + ".." + max);
    }

    static Instant since(String v) {
        java.util.regex.Matcher m = java.util.regex.Pattern.compile("(\\d+)(ms|s|m|h)").matcher(v);
        if (m.matches()) {
            long n = Long.parseLong(m.group(1));
            Duration d = switch (m.group(2)) {
                case "ms" -> Duration.ofMillis(n);
                case "s" -> Duration.ofSeconds(n);
                case "m" -> Duration.ofMinutes(n);
                default -> Duration.ofHours(n);
            };
            return Instant.now().minus(d);
        }
        try {
            return Instant.parse(v);
        } catch (java.time.format.DateTimeParseException e) {
            throw new IllegalArgumentException("since '" + v + "': expected an ISO-8601 instant"
                    + " (2026-12-04T12:00:00Z) or a duration back from now (30s, 5m, 1h)");
        }
    }

    /** Stops reading (the reader finishes its batch), lets the enricher empty its queue, frees the ring. */
    @Override
    public void close() {
        closed = true;
        ring.stop();
        if (expiryThread != null) {
            expiryThread.interrupt();
        }
        ring.close(); // the reader finishes its batch, then the ring is freed
        try {
            enricherThread.join(5000);
            if (expiryThread != null) {
                expiryThread.join(5000);
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }
}
