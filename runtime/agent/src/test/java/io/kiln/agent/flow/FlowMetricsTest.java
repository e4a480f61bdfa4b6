package io.kiln.agent.flow;

import org.junit.jupiter.api.Test;

import java.net.InetAddress;
import java.time.Instant;
import java.util.List;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

class FlowMetricsTest {
    private static FlowRecord record(String type, Verdict v, int src, int dst, long bytesFwd, long bytesRev, long rttUs) {
        try {
            Instant t = Instant.parse("2026-12-04T12:00:00Z");
            FlowPeer s = new FlowPeer(InetAddress.getByName("198.18.0.1"), 40000, src, null, null, null);
            FlowPeer d = new FlowPeer(InetAddress.getByName("198.18.0.2"), 80, dst, null, null, null);
            boolean drop = type.equals("drop");
            return new FlowRecord(1, t, type, v, drop ? "POLICY_DENIED" : null, 1, "lxc1", "egress", "TCP", s, d,
                    List.of(), drop ? null : t, drop ? null : t, 3, bytesFwd, 2, bytesRev, rttUs);
        } catch (java.net.UnknownHostException e) {
            throw new IllegalStateException(e);
        }
    }

    @Test
    void countsEndedFlowsAndDropsByIdentityPair() {
        FlowMetrics m = new FlowMetrics(16);
        m.record(record("start", Verdict.FORWARDED, 3001, 3002, 0, 0, 0)); // a start: not counted (may be sampled)
        m.record(record("end", Verdict.FORWARDED, 3001, 3002, 300, 200, 250));
        m.record(record("expired", Verdict.AUDIT, 3001, 3002, 10, 0, 0));
        m.record(record("drop", Verdict.DROPPED, 3001, 3003, 0, 0, 0));
        Map<String, String> pair = Map.of("src_identity", "3001", "dst_identity", "3002");
        assertEquals(1, m.sum(FlowMetrics.FLOWS, Map.of("src_identity", "3001", "dst_identity", "3002",
                "verdict", "FORWARDED")));
        assertEquals(2, m.sum(FlowMetrics.FLOWS, pair));
        assertEquals(510, m.sum(FlowMetrics.BYTES, pair));
        assertEquals(1, m.sum(FlowMetrics.FLOWS, Map.of("dst_identity", "3003", "verdict", "DROPPED")));
        assertEquals(1, m.sum(FlowMetrics.RTT + "_count", Map.of()));
        assertEquals(250e-6, m.sum(FlowMetrics.RTT + "_sum", Map.of()), 1e-12);
        String text = m.text();
        assertTrue(text.contains("kiln_flows_total{dst_identity=\"3002\",src_identity=\"3001\",verdict=\"AUDIT\"} 1.0\n"),
                text);
        assertTrue(text.contains("kiln_flow_rtt_seconds_bucket{le=\"2.5E-4\"} 1\n"), text);
    }

    @Test
    void aFlowBetweenTwoLocalEndpointsCountsOnce() throws Exception {
        FlowMetrics m = new FlowMetrics(16);
        FlowRecord opener = record("end", Verdict.FORWARDED, 3001, 3002, 300, 200, 250);
        FlowPeer localSource = new FlowPeer(InetAddress.getByName("198.18.0.1"), 40000, 3001, 1, "lxc1", null);
        FlowRecord seenByWeb = new FlowRecord(2, opener.time(), "end", Verdict.FORWARDED, null, 2, "lxc2", "ingress",
                "TCP", localSource, opener.destination(), List.of(), opener.firstSeen(), opener.lastSeen(), 3, 300, 2,
                200, 180);
        FlowRecord fromOutside = new FlowRecord(3, opener.time(), "end", Verdict.FORWARDED, null, 2, "lxc2", "ingress",
                "TCP", opener.source(), opener.destination(), List.of(), opener.firstSeen(), opener.lastSeen(), 1, 60, 1,
                60, 0);
        m.record(opener);
        m.record(seenByWeb);
        m.record(fromOutside); // its source is no endpoint of this node: only web saw it
        assertEquals(2, m.sum(FlowMetrics.FLOWS, Map.of()));
        assertEquals(620, m.sum(FlowMetrics.BYTES, Map.of()));
        assertEquals(1, m.sum(FlowMetrics.RTT + "_count", Map.of()));
    }

    @Test
    void pairsPastTheBoundShareOneOverflowSeries() {
        FlowMetrics m = new FlowMetrics(2);
        for (int i = 0; i < 50; i++) { // 50 distinct pairs from a hostile source: 2 get series, 48 overflow
            m.record(record("end", Verdict.FORWARDED, 100 + i, 7, 10, 0, 0));
        }
        m.record(record("end", Verdict.FORWARDED, 100, 7, 5, 0, 0)); // an admitted pair keeps its series
        assertEquals(2, m.sum(FlowMetrics.FLOWS, Map.of("src_identity", "100")));
        assertEquals(48, m.sum(FlowMetrics.FLOWS, Map.of("src_identity", "overflow", "dst_identity", "overflow")));
        assertEquals(48, m.sum(FlowMetrics.OVERFLOW, Map.of()));
        assertEquals(2, m.sum(FlowMetrics.PAIRS, Map.of()));
        assertEquals(51, m.sum(FlowMetrics.FLOWS, Map.of()), "every flow is counted once, overflow or not");
        long series = m.text().lines().filter(l -> l.startsWith("kiln_flows_total{")).count();
        assertEquals(3, series, "two pairs and the overflow series:\n" + m.text());
    }

    @Test
    void identitiesAreUnsignedAndTheBoundMustBePositive() {
        FlowMetrics m = new FlowMetrics(4);
        m.record(record("end", Verdict.FORWARDED, -1, 0, 1, 1, 0));
        assertEquals(1, m.sum(FlowMetrics.FLOWS, Map.of("src_identity", "4294967295", "dst_identity", "0")));
        assertThrows(IllegalArgumentException.class, () -> new FlowMetrics(0));
    }
}
