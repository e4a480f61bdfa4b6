package io.kiln.agent.fqdn;

import io.kiln.agent.api.LatencyHistogram;
import io.prometheus.metrics.core.metrics.CounterWithCallback;
import io.prometheus.metrics.core.metrics.GaugeWithCallback;
import io.prometheus.metrics.model.snapshots.MetricSnapshots;
import io.kiln.agent.api.MetricsProvider;
import io.kiln.agent.internal.PinnedRing;
import io.kiln.agent.spec.FqdnSelector;
import io.kiln.bpf.BpfMap;
import io.kiln.host.FrameSender;
import io.kiln.host.Netns;
import io.kiln.templates.DnsEvent;

import java.net.InetAddress;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.SortedSet;
import java.util.TreeSet;
import java.util.concurrent.ArrayBlockingQueue;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;

/**
 * The agent's half of DNS learning (the dataplane's is {@code include/kiln/dns.h}, built in with
 * {@code dnsLearning=true}): a reader thread sleeps in {@code epoll_wait} on the node ring buffer
 * {@code dns_events}, where endpoints' programs put the DNS answers they hold; a worker parses each
 * with dnsjava ({@link DnsAnswers}), learns the addresses of the names the endpoint's
 * {@code toFQDNs} rules select into the {@link FqdnCache}, has the agent plan and write the
 * ipcache and policy maps ({@link Host#apply}) and waits for those writes, then sends the very
 * frame back out of the endpoint's host-side veth marked {@link DnsEvent#MARK_REDELIVERED}, which
 * the program passes. A client that connects the moment its answer arrives finds its address
 * allowed.
 *
 * <p>A heartbeat thread writes {@code dns_agent} (the time, how old it may get, the failure mode)
 * while the reader and the worker run; {@link #close()} writes a stale one at once. With a stale
 * heartbeat the programs pass answers unheld (fail-open) or drop them (fail-closed).
 *
 * <p>Expiry: every {@link Options#expiryScan()}, entries past their TTL whose address no conntrack
 * entry (IPv4 or IPv6, either end) holds are removed, and the agent plans again.
 *
 * <p>With {@link #persistTo} the entries outlive the agent: written to a state file after each
 * expiry scan that follows a change and when the learner stops, read back at {@link #start}.
 */
public final class DnsLearner implements MetricsProvider, AutoCloseable {
    /**
     * @param nodeMapDir   the folder of the node maps' pins ({@code /sys/fs/bpf/kiln/node})
     * @param failClosed   with the agent down, hold answers (true) or pass them unlearned (false)
     * @param staleAfter   a heartbeat older than this means the agent is down
     * @param heartbeat    how often the heartbeat is written (well under staleAfter)
     * @param minTtl       the shortest time a learned address is kept
     * @param perEndpoint  learned entries per endpoint, at most
     * @param perNode      learned entries on the node, at most
     * @param applyTimeout how long an answer waits for the map writes before it is re-delivered anyway
     * @param expiryScan   how often expired entries are collected
     */
    public record Options(Path nodeMapDir, boolean failClosed, Duration staleAfter, Duration heartbeat, Duration minTtl,
                          int perEndpoint, int perNode, Duration applyTimeout, Duration expiryScan) {
        public static final Duration DEFAULT_STALE_AFTER = Duration.ofSeconds(2);
        public static final Duration DEFAULT_MIN_TTL = Duration.ofSeconds(5);
        public static final int DEFAULT_PER_ENDPOINT = 10_000;
        public static final int DEFAULT_PER_NODE = 100_000;

        public Options {
            if (staleAfter.compareTo(Duration.ofMillis(100)) < 0 || heartbeat.isNegative() || heartbeat.isZero()
                    || heartbeat.compareTo(staleAfter) >= 0) {
                throw new IllegalArgumentException("dns learning: heartbeat " + heartbeat + " and stale-after "
                        + staleAfter + ": expected 0 < heartbeat < stale-after, stale-after at least 100 ms");
            }
            if (applyTimeout.isNegative() || applyTimeout.isZero() || expiryScan.isNegative() || expiryScan.isZero()) {
                throw new IllegalArgumentException("dns learning: apply timeout " + applyTimeout + " and expiry scan "
                        + expiryScan + ": expected more than 0");
            }
        }

        public static Options of(Path nodeMapDir, boolean failClosed) {
            return new Options(nodeMapDir, failClosed, DEFAULT_STALE_AFTER, Duration.ofMillis(250), DEFAULT_MIN_TTL,
                    DEFAULT_PER_ENDPOINT, DEFAULT_PER_NODE, Duration.ofSeconds(2), Duration.ofSeconds(5));
        }

        public Options withStaleAfter(Duration stale, Duration beat) {
            return new Options(nodeMapDir, failClosed, stale, beat, minTtl, perEndpoint, perNode, applyTimeout,
                    expiryScan);
        }

        public Options withMinTtl(Duration ttl) {
            return new Options(nodeMapDir, failClosed, staleAfter, heartbeat, ttl, perEndpoint, perNode, applyTimeout,
                    expiryScan);
        }

        public Options withExpiryScan(Duration scan) {
            return new Options(nodeMapDir, failClosed, staleAfter, heartbeat, minTtl, perEndpoint, perNode, applyTimeout,
                    scan);
        }
    }

    /** What the learner needs of the agent. */
    public interface Host {
        /** The {@code toFQDNs} selectors of the policies that select the endpoint (empty: none, or no such endpoint). */
        SortedSet<FqdnSelector> selectors(int endpointId);

        /** The network namespace of the endpoint's host-side interface. */
        Netns interfaceNamespace(int endpointId);

        /**
         * Plans again with what the cache holds, where the learned entries of {@code touched} (the
         * addresses added or expired) are what changed, and waits until the ipcache and these
         * endpoints' policy maps hold it; true if done within {@code timeout}.
         */
        boolean apply(Set<Integer> endpointIds, Set<InetAddress> touched, Duration timeout) throws InterruptedException;
    }

    private static final String RING_MAP = "dns_events";
    private static final String STATS_MAP = "dns_stats";
    private static final String AGENT_MAP = "dns_agent";
    private static final int QUEUE = 4096;
    private static final int BATCH = 256;
    private static final int RECENT = 4096;

    private final Options options;
    private final Host host;
    private final FqdnCache cache;
    /** The learner's metrics: built once, their callbacks read the live figures at each scrape. */
    private final MetricsProvider metrics;
    private final BlockingQueue<DnsEvent> queue = new ArrayBlockingQueue<>(QUEUE);
    private final Map<Netns, FrameSender> senders = new HashMap<>();
    private final PinnedRing ring;
    private final Thread worker;
    private final Thread heartbeat;
    private final Thread expiry;
    private final LatencyHistogram latency = new LatencyHistogram("kiln_dns_answer_added_latency_seconds",
            "Time a held DNS answer spent in Kiln: from the dataplane holding it to the agent re-delivering it, by"
                    + " whether it taught new addresses (learned) or not (unchanged).", "path",
            new double[] {0.00005, 0.0001, 0.00025, 0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 1});
    private final LatencyHistogram applyLatency = new LatencyHistogram("kiln_dns_learn_apply_seconds",
            "Time from a batch of answers teaching new addresses to the ipcache and policy maps holding them (the"
                    + " plan and its map writes), the part of the added latency that learning costs.", "path",
            new double[] {0.0001, 0.00025, 0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 1, 2.5});
    private final long[] recentApply = new long[RECENT];
    private long recentApplyCount;
    private final long[] recent = new long[RECENT];
    private long recentCount;
    private final AtomicLong learnedAnswers = new AtomicLong();
    private final AtomicLong unchangedAnswers = new AtomicLong();
    private final AtomicLong unselectedAnswers = new AtomicLong();
    private final AtomicLong unparsedAnswers = new AtomicLong();
    private final AtomicLong tcpSplitAnswers = new AtomicLong();
    private final AtomicLong learnErrors = new AtomicLong();
    private final AtomicLong redelivered = new AtomicLong();
    private final AtomicLong redeliverErrors = new AtomicLong();
    private final AtomicLong agentDropped = new AtomicLong();
    private final AtomicLong decodeErrors = new AtomicLong();
    private final AtomicLong applyTimeouts = new AtomicLong();
    private final AtomicLong added = new AtomicLong();
    private final AtomicLong expired = new AtomicLong();
    private volatile boolean closed;
    private volatile String lastError;
    private FqdnStateFile stateFile;
    private long savedVersion = -1;
    private int restored;

    public DnsLearner(Options options, Host host) {
        this.options = options;
        this.host = host;
        this.cache = new FqdnCache(options.minTtl(), options.perEndpoint(), options.perNode());
        // the heartbeat map too: the first heartbeat is written as soon as the reader runs
        this.ring = new PinnedRing(options.nodeMapDir().resolve(RING_MAP), "kiln-dns", Duration.ofMillis(200),
                this::onRecord).requires(options.nodeMapDir().resolve(AGENT_MAP))
                .onOpen(() -> writeHeartbeat(System.nanoTime())).onError(e -> lastError = e);
        this.worker = daemon(this::workLoop, "kiln-dns-learn");
        this.heartbeat = daemon(this::heartbeatLoop, "kiln-dns-heartbeat");
        this.expiry = daemon(this::expiryLoop, "kiln-dns-expiry");
        this.metrics = instruments();
    }

    private static Thread daemon(Runnable r, String name) {
        Thread t = new Thread(r, name);
        t.setDaemon(true);
        return t;
    }

    /**
     * Keeps the learned entries in {@code file} (the agent's state folder: {@code fqdn.json}) across
     * restarts; call before {@link #start}, which reads it back.
     */
    public DnsLearner persistTo(Path file) {
        this.stateFile = new FqdnStateFile(file);
        return this;
    }

    /** Entries read back from the state file at start. */
    public int restored() {
        return restored;
    }

    public DnsLearner start() {
        if (stateFile != null) {
            FqdnStateFile.Read r = stateFile.read(cache.perNode());
            r.entries().forEach(e -> restored += cache.restore(e) ? 1 : 0);
            if (r.problem() != null) {
                lastError = r.problem();
            }
            savedVersion = cache.version();
        }
        worker.start();
        ring.start();
        heartbeat.start();
        expiry.start();
        return this;
    }

    /** The learned names: what the planner's toFQDNs peers and {@code kiln fqdn list} come from. */
    public FqdnCache cache() {
        return cache;
    }

    public Options options() {
        return options;
    }

    /** Whether the reader is attached to {@code dns_events} (false until an endpoint pinned the node maps). */
    public boolean reading() {
        return ring.reading();
    }

    // ---- reading ----

    private void onRecord(ByteBuffer record) {
        DnsEvent e;
        try {
            e = DnsEvent.decode(record);
        } catch (IllegalArgumentException bad) {
            decodeErrors.incrementAndGet();
            lastError = bad.getMessage();
            return;
        }
        if (!queue.offer(e)) {
            agentDropped.incrementAndGet(); // the client asks again
        }
    }

    // ---- learning and re-delivering ----

    private void workLoop() {
        List<DnsEvent> batch = new ArrayList<>();
        while (!closed || !queue.isEmpty()) {
            try {
                DnsEvent first = queue.poll(200, TimeUnit.MILLISECONDS);
                if (first == null) {
                    continue;
                }
                batch.clear();
                batch.add(first);
                queue.drainTo(batch, BATCH - 1);
                process(batch);
            } catch (InterruptedException ie) {
                if (closed) {
                    return;
                }
            } catch (RuntimeException | Error bad) {
                lastError = "dns learning: " + bad;
            }
        }
    }

    private void process(List<DnsEvent> batch) throws InterruptedException {
        Set<Integer> changed = new HashSet<>();
        Set<InetAddress> touched = new HashSet<>();
        Instant now = Instant.now();
        for (DnsEvent e : batch) {
            try {
                if (learn(e, now, touched)) {
                    changed.add(e.endpointId());
                }
            } catch (RuntimeException bad) { // one answer's fault never costs the batch its re-delivery
                learnErrors.incrementAndGet();
                lastError = "endpoint " + e.endpointId() + ": learning an answer: " + bad;
            }
        }
        if (!changed.isEmpty()) {
            long t0 = System.nanoTime();
            if (!host.apply(changed, touched, options.applyTimeout())) {
                applyTimeouts.incrementAndGet(); // deliver anyway: the client's first connect may be dropped
            }
            long micros = (System.nanoTime() - t0) / 1000;
            applyLatency.observe("learned", micros / 1e6);
            synchronized (recentApply) {
                recentApply[(int) (recentApplyCount++ % RECENT)] = micros;
            }
        }
        for (DnsEvent e : batch) {
            redeliver(e, changed.contains(e.endpointId()) ? "learned" : "unchanged");
        }
    }

    /** True when the answer added an address. */
    private boolean learn(DnsEvent e, Instant now, Set<InetAddress> touched) {
        SortedSet<FqdnSelector> selectors = host.selectors(e.endpointId());
        if (selectors.isEmpty()) {
            unselectedAnswers.incrementAndGet();
            return false;
        }
        byte[] msg = e.dnsMessage();
        if (msg == null) {
            if (e.proto() == 6) { // part of a message split over segments (or several in one): not reassembled
                tcpSplitAnswers.incrementAndGet();
            } else {
                unparsedAnswers.incrementAndGet();
            }
            return false;
        }
        DnsAnswer a;
        try {
            a = DnsAnswers.parse(msg);
        } catch (DnsAnswerException bad) {
            unparsedAnswers.incrementAndGet();
            lastError = "endpoint " + e.endpointId() + ": " + bad.getMessage();
            return false;
        }
        FqdnCache.Learned l = cache.learn(e.endpointId(), a, selectors, now, touched);
        added.addAndGet(l.added());
        if (l.changedAddresses()) {
            learnedAnswers.incrementAndGet();
            return true;
        }
        if (l.refreshed() > 0) {
            unchangedAnswers.incrementAndGet();
        } else {
            unselectedAnswers.incrementAndGet();
        }
        return false;
    }

    private void redeliver(DnsEvent e, String path) {
        try {
            L4Checksum.fill(e.frame(), e.family(), e.proto(), e.l4Offset());
            sender(host.interfaceNamespace(e.endpointId())).send(e.ifindex(), e.frame(), e.frame().length);
            redelivered.incrementAndGet();
            long micros = Math.max(0, (System.nanoTime() - e.timestamp()) / 1000);
            latency.observe(path, micros / 1e6);
            synchronized (recent) {
                recent[(int) (recentCount++ % RECENT)] = micros;
            }
        } catch (RuntimeException bad) {
            redeliverErrors.incrementAndGet();
            lastError = "re-deliver to endpoint " + e.endpointId() + ": " + bad.getMessage();
        }
    }

    private FrameSender sender(Netns ns) {
        synchronized (senders) {
            FrameSender s = senders.get(ns);
            if (s == null) {
                s = FrameSender.open(ns, DnsEvent.MARK_REDELIVERED);
                senders.put(ns, s);
            }
            return s;
        }
    }

    /** The added latency of the last (up to 4096) re-delivered answers, in microseconds, sorted. */
    public long[] recentLatenciesMicros() {
        synchronized (recent) {
            int n = (int) Math.min(recentCount, RECENT);
            long[] out = java.util.Arrays.copyOf(recent, n);
            java.util.Arrays.sort(out);
            return out;
        }
    }

    /** How long the last (up to 4096) plans with their map writes took, in microseconds, sorted. */
    public long[] recentApplyMicros() {
        synchronized (recentApply) {
            int n = (int) Math.min(recentApplyCount, RECENT);
            long[] out = java.util.Arrays.copyOf(recentApply, n);
            java.util.Arrays.sort(out);
            return out;
        }
    }

    // ---- heartbeat ----

    private void heartbeatLoop() {
        while (!closed) {
            if (reading() && worker.isAlive()) {
                writeHeartbeat(System.nanoTime());
            }
            try {
                Thread.sleep(options.heartbeat().toMillis());
            } catch (InterruptedException e) {
                return;
            }
        }
    }

    private void writeHeartbeat(long monotonicNanos) {
        Path pin = options.nodeMapDir().resolve(AGENT_MAP);
        if (!Files.exists(pin)) {
            return;
        }
        try (BpfMap m = BpfMap.openPinned(pin)) {
            m.update(new byte[4], DnsEvent.agentValue(monotonicNanos, options.staleAfter().toNanos(),
                    options.failClosed()));
        } catch (RuntimeException e) {
            lastError = "heartbeat " + pin + ": " + e.getMessage();
        }
    }

    // ---- expiry ----

    private void expiryLoop() {
        while (!closed) {
            try {
                Thread.sleep(options.expiryScan().toMillis());
                expireNow();
                save();
            } catch (InterruptedException e) {
                return;
            } catch (RuntimeException e) {
                lastError = "fqdn expiry: " + e.getMessage();
            }
        }
    }

    /**
     * Removes the entries past their TTL whose address no conntrack entry holds, and plans again if
     * any went; returns how many went.
     */
    public int expireNow() throws InterruptedException {
        Set<InetAddress> inUse = ConntrackAddresses.read(options.nodeMapDir());
        List<FqdnCache.Entry> gone = cache.expire(Instant.now(), inUse::contains);
        if (!gone.isEmpty()) {
            expired.addAndGet(gone.size());
            Set<Integer> endpoints = new TreeSet<>();
            Set<InetAddress> touched = new HashSet<>();
            gone.forEach(g -> {
                endpoints.add(g.endpointId());
                touched.add(g.address());
            });
            host.apply(endpoints, touched, options.applyTimeout());
        }
        return gone.size();
    }

    /** Writes the state file if the entries changed since it was last written. */
    private synchronized void save() {
        FqdnStateFile f = stateFile;
        if (f == null || savedVersion < 0) {
            return; // not persisted, or never started (nothing was read: nothing to write over)
        }
        long v = cache.version();
        if (v == savedVersion) {
            return;
        }
        try {
            f.write(cache.entries(null));
            savedVersion = v;
        } catch (java.io.IOException | RuntimeException e) {
            lastError = "fqdn state file " + f.path() + ": write: " + e.getMessage();
        }
    }

    /** Forgets what an endpoint that is gone learned. */
    public void forget(int endpointId) {
        cache.forget(endpointId);
    }

    // ---- figures ----

    public long redelivered() {
        return redelivered.get();
    }

    public String lastError() {
        return lastError;
    }

    /** The dataplane's counters ({@code dns_stats}, summed over CPUs), by {@link DnsEvent.Stat}. */
    public Map<DnsEvent.Stat, Long> dataplaneStats() {
        Map<DnsEvent.Stat, Long> out = new java.util.EnumMap<>(DnsEvent.Stat.class);
        Path pin = options.nodeMapDir().resolve(STATS_MAP);
        if (!Files.exists(pin)) {
            return out;
        }
        try (BpfMap m = BpfMap.openPinned(pin)) {
            for (DnsEvent.Stat s : DnsEvent.Stat.values()) {
                long sum = 0;
                for (byte[] v : m.lookupPerCpu(s.key()).orElse(List.of())) {
                    sum += ByteBuffer.wrap(v).order(ByteOrder.nativeOrder()).getLong();
                }
                out.put(s, sum);
            }
        } catch (RuntimeException gone) {
            // the maps went with the last endpoint
        }
        return out;
    }

    @Override
    public MetricSnapshots collect() {
        return metrics.collect();
    }

    private MetricsProvider instruments() {
        return MetricsProvider.of(
                CounterWithCallback.builder().name("kiln_dns_answers_total").help("DNS answers the agent read from the"
                        + " dataplane, by what they did: learned (new addresses for a toFQDNs rule), unchanged (addresses"
                        + " known already), not_selected (no rule of the endpoint selects their names), unparsed (not a"
                        + " DNS answer dnsjava reads), tcp_split (a TCP segment that does not hold exactly one whole"
                        + " message: re-delivered unlearned, since segments are not reassembled).")
                        .labelNames("result").callback(c -> {
                            c.call(learnedAnswers.get(), "learned");
                            c.call(unchangedAnswers.get(), "unchanged");
                            c.call(unselectedAnswers.get(), "not_selected");
                            c.call(unparsedAnswers.get(), "unparsed");
                            c.call(tcpSplitAnswers.get(), "tcp_split");
                        }).build(),
                GaugeWithCallback.builder().name("kiln_fqdn_entries")
                        .help("Learned (endpoint, name, address) entries the agent keeps.")
                        .callback(c -> c.call(cache.size())).build(),
                CounterWithCallback.builder().name("kiln_fqdn_entries_changes_total").help("Learned entries added,"
                        + " expired (TTL passed and no connection uses the address) and refused (a per-endpoint or"
                        + " per-node bound).").labelNames("change").callback(c -> {
                            c.call(added.get(), "added");
                            c.call(expired.get(), "expired");
                            c.call(cache.refused(), "refused");
                        }).build(),
                CounterWithCallback.builder().name("kiln_dns_held_answers_total").help("What the dataplane did with"
                        + " DNS answers toward endpoints built with dnsLearning (dns_stats): held for the agent,"
                        + " redelivered (passed after the agent), agent_down_passed (fail-open), agent_down_dropped"
                        + " (fail-closed), lost (ring full), too_big (larger than one frame's capture).")
                        .labelNames("what").callback(c -> dataplaneStats().forEach((st, n) ->
                                c.call(n, st.name().toLowerCase(java.util.Locale.ROOT)))).build(),
                CounterWithCallback.builder().name("kiln_dns_redelivered_total")
                        .help("Held answers the agent sent back to their endpoint.")
                        .callback(c -> c.call(redelivered.get())).build(),
                CounterWithCallback.builder().name("kiln_dns_errors_total").help("Held answers the agent could not"
                        + " handle, by kind: redeliver (the send failed), queue_full (read but dropped; the client asks"
                        + " again), decode (a malformed ring record), apply_timeout (re-delivered before the maps were"
                        + " written), learn (an unexpected failure while learning one answer; it is re-delivered)")
                        .labelNames("kind").callback(c -> {
                            c.call(redeliverErrors.get(), "redeliver");
                            c.call(agentDropped.get(), "queue_full");
                            c.call(decodeErrors.get(), "decode");
                            c.call(applyTimeouts.get(), "apply_timeout");
                            c.call(learnErrors.get(), "learn");
                        }).build(),
                latency, applyLatency);
    }

    /** Stops reading and heartbeating, declares the agent down to the dataplane at once, re-delivers what was queued. */
    @Override
    public void close() {
        closed = true;
        heartbeat.interrupt();
        expiry.interrupt();
        ring.stop();
        try {
            heartbeat.join(2000);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        writeHeartbeat(0); // stale from now: the dataplane applies the failure mode at once
        ring.close(); // then the reader finishes its batch and the ring is freed
        try {
            worker.join(5000);
            expiry.join(2000);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        save(); // the expiry thread has ended: no write races this one
        synchronized (senders) {
            senders.values().forEach(FrameSender::close);
            senders.clear();
        }
    }
}
