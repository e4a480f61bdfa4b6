package io.kiln.agent.flow;

import io.kiln.agent.api.MetricsProvider;
import io.prometheus.metrics.core.metrics.Counter;
import io.prometheus.metrics.core.metrics.GaugeWithCallback;
import io.prometheus.metrics.core.metrics.Histogram;
import io.prometheus.metrics.model.snapshots.MetricSnapshots;

import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;

/**
 * Flows, bytes and round trips by source and destination identity, counted from the records the
 * pipeline publishes: a flow when it ends ({@code end}, or {@code expired} when its conntrack entry
 * timed out), each dropped packet the dataplane reports as a flow of verdict {@code DROPPED}. A
 * flow between two endpoints of the node is seen by both; it is counted once, by the endpoint that
 * opened it (its egress record).
 *
 * <p>Identities come from untrusted input (an ipcache prefix, a pod's labels), so the label values
 * are bounded: at most {@link #maxPairs} distinct (source, destination) pairs get series of their
 * own; records of any later pair are counted under {@code src_identity="overflow",
 * dst_identity="overflow"}, and {@code kiln_flow_identity_overflow_total} says how many.
 */
public final class FlowMetrics implements MetricsProvider {
    public static final String FLOWS = "kiln_flows_total";
    public static final String BYTES = "kiln_flow_bytes_total";
    public static final String RTT = "kiln_flow_rtt_seconds";
    public static final String OVERFLOW = "kiln_flow_identity_overflow_total";
    public static final String PAIRS = "kiln_flow_identity_pairs";
    /** The label value of both identities of the pairs past the bound. */
    public static final String OVERFLOW_LABEL = "overflow";
    public static final int DEFAULT_MAX_PAIRS = 1024;
    /** A handshake on one host (tens of microseconds) to a slow path across the world (seconds). */
    static final double[] RTT_BUCKETS = {0.0001, 0.00025, 0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25,
            0.5, 1, 2.5};

    private final int maxPairs;
    private final Set<Long> pairs = ConcurrentHashMap.newKeySet();
    private final Counter flows = Counter.builder().name(FLOWS)
            .help("Flows by source and destination identity and verdict: counted when a flow ends (or its conntrack"
                    + " entry expires); each dropped packet the dataplane reports counts as one DROPPED flow.")
            .labelNames("src_identity", "dst_identity", "verdict").build();
    private final Counter bytes = Counter.builder().name(BYTES)
            .help("Bytes of ended flows, both directions, by source and destination identity and verdict.")
            .labelNames("src_identity", "dst_identity", "verdict").build();
    private final Histogram rtt = Histogram.builder().name(RTT)
            .help("TCP handshake round trip (SYN to ACK) of ended flows, as the endpoint saw it.")
            .classicOnly().classicUpperBounds(RTT_BUCKETS).build();
    private final Counter overflow = Counter.builder().name(OVERFLOW)
            .help("Flow records counted under the identity pair 'overflow' because the agent already had series for"
                    + " its maximum number of distinct identity pairs.").build();
    private final GaugeWithCallback pairCount;

    /** @param maxPairs distinct (source, destination) identity pairs with series of their own, at least 1 */
    public FlowMetrics(int maxPairs) {
        if (maxPairs < 1) {
            throw new IllegalArgumentException("flow metrics: at most " + maxPairs
                    + " identity pairs: expected at least 1");
        }
        this.maxPairs = maxPairs;
        this.pairCount = GaugeWithCallback.builder().name(PAIRS)
                .help("Distinct source and destination identity pairs with series of their own (at most "
                        + maxPairs + ").").callback(c -> c.call(pairs.size())).build();
    }

    public int maxPairs() {
        return maxPairs;
    }

    /** Counts one published record: a flow's end, or a dropped packet; starts are not counted (they may be sampled). */
    void record(FlowRecord r) {
        boolean ended = r.type().equals("end") || r.type().equals("expired");
        boolean dropped = r.verdict() == Verdict.DROPPED;
        if (!ended && !dropped) {
            return;
        }
        if (ended && r.direction().equals("ingress") && r.source().endpointId() != null) {
            return; // a flow between two endpoints of this node: counted once, where it was opened (egress)
        }
        String src = Integer.toUnsignedString(r.source().identity());
        String dst = Integer.toUnsignedString(r.destination().identity());
        long pair = (r.source().identity() & 0xffffffffL) << 32 | (r.destination().identity() & 0xffffffffL);
        if (!pairs.contains(pair) && (pairs.size() >= maxPairs || !admit(pair))) {
            src = OVERFLOW_LABEL;
            dst = OVERFLOW_LABEL;
            overflow.inc();
        }
        String verdict = r.verdict().name();
        flows.labelValues(src, dst, verdict).inc();
        if (ended) {
            bytes.labelValues(src, dst, verdict).inc(r.bytesFwd() + r.bytesRev());
            if (r.rttMicros() > 0) {
                rtt.observe(r.rttMicros() / 1e6);
            }
        }
    }

    /** Adds the pair unless the bound was reached meanwhile (two threads at the last place). */
    private synchronized boolean admit(long pair) {
        if (pairs.size() >= maxPairs) {
            return false;
        }
        pairs.add(pair);
        return true;
    }

    @Override
    public MetricSnapshots collect() {
        return MetricSnapshots.of(flows.collect(), bytes.collect(), rtt.collect(), overflow.collect(),
                pairCount.collect());
    }
}
