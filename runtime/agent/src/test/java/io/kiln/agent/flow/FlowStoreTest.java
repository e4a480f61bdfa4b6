package io.kiln.agent.flow;

import org.junit.jupiter.api.Test;

import java.net.InetAddress;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** The bounded ring of recent flows, its queries and filters, and the JSON line round trip. */
class FlowStoreTest {
    private static FlowRecord record(String type, String src, int dport, Verdict v, Map<String, String> dstLabels) {
        try {
            FlowPeer s = new FlowPeer(InetAddress.getByName(src), 40000, 3001, 1, "lxc1", new TreeMap<>(Map.of("app", "client")));
            FlowPeer d = new FlowPeer(InetAddress.getByName("198.18.0.12"), dport, 3002, 2, "lxc2", new TreeMap<>(dstLabels));
            Instant t = Instant.parse("2026-12-04T12:00:00Z");
            return new FlowRecord(0, t, type, v, v == Verdict.DROPPED ? "POLICY_DENIED" : null, 1, "lxc1", "egress",
                    "TCP", s, d, List.of("SYN", "ACK"), type.equals("drop") ? null : t, type.equals("drop") ? null : t,
                    3, 300, 2, 200, type.equals("end") ? 250 : 0);
        } catch (java.net.UnknownHostException e) {
            throw new IllegalStateException(e);
        }
    }

    @Test
    void keepsTheNewestRecordsAndNumbersThem() throws Exception {
        FlowStore store = new FlowStore(3);
        for (int i = 0; i < 5; i++) {
            store.add(record("start", "198.18.0.11", 80 + i, Verdict.FORWARDED, Map.of("app", "web")));
        }
        assertEquals(3, store.size());
        assertEquals(5, store.lastSeq());
        List<FlowRecord> all = store.query(0, null, FlowFilter.ALL, 100, Duration.ZERO);
        assertEquals(List.of(3L, 4L, 5L), all.stream().map(FlowRecord::seq).toList(), "the two oldest were overwritten");
        assertEquals(List.of(5L), store.query(4, null, FlowFilter.ALL, 100, Duration.ZERO).stream().map(FlowRecord::seq).toList());
        assertEquals(List.of(4L, 5L), store.query(0, null, FlowFilter.ALL, 2, Duration.ZERO).stream().map(FlowRecord::seq).toList());
        long t0 = System.nanoTime();
        assertEquals(List.of(), store.query(5, null, FlowFilter.ALL, 10, Duration.ofMillis(100)));
        assertTrue(System.nanoTime() - t0 >= 90_000_000L, "waited for a new record");
    }

    @Test
    void filtersMatchAddressesCidrsNamesLabelsVerdictsAndPorts() throws Exception {
        FlowStore store = new FlowStore(10);
        store.add(record("start", "198.18.0.11", 80, Verdict.FORWARDED, Map.of("app", "web")));
        store.add(record("drop", "198.18.0.11", 53, Verdict.DROPPED, Map.of("app", "dns")));
        store.add(record("end", "198.19.0.5", 80, Verdict.AUDIT, Map.of("app", "web")));
        java.util.function.Function<Map<String, String>, List<Long>> q = m -> {
            try {
                return store.query(0, null, FlowFilter.of(m), 100, Duration.ZERO).stream().map(FlowRecord::seq).toList();
            } catch (InterruptedException e) {
                throw new IllegalStateException(e);
            }
        };
        assertEquals(List.of(2L), q.apply(Map.of("verdict", "dropped")));
        assertEquals(List.of(1L, 3L), q.apply(Map.of("to", "app=web")));
        assertEquals(List.of(1L, 2L), q.apply(Map.of("from", "198.18.0.0/16")));
        assertEquals(List.of(3L), q.apply(Map.of("from", "198.19.0.5")));
        assertEquals(List.of(1L, 3L), q.apply(Map.of("port", "80", "protocol", "tcp")));
        assertEquals(List.of(1L, 2L, 3L), q.apply(Map.of("endpoint", "lxc2")));
        assertEquals(List.of(3L), q.apply(Map.of("type", "end")));
        assertEquals("verdict 'LOST': expected FORWARDED, DROPPED or AUDIT",
                assertThrows(IllegalArgumentException.class, () -> FlowFilter.of(Map.of("verdict", "LOST"))).getMessage());
        assertEquals("port '70000': expected a number 0..65535",
                assertThrows(IllegalArgumentException.class, () -> FlowFilter.of(Map.of("port", "70000"))).getMessage());
    }

    @Test
    void aRecordSurvivesItsJsonLine() {
        FlowRecord r = record("end", "198.18.0.11", 80, Verdict.FORWARDED, Map.of("app", "web")).withSeq(7);
        assertEquals(r, FlowRecord.fromJson(r.toJson()));
        FlowRecord d = record("drop", "198.18.0.11", 53, Verdict.DROPPED, Map.of()).withSeq(8);
        FlowRecord back = FlowRecord.fromJson(d.toJson());
        assertEquals("POLICY_DENIED", back.reason());
        assertEquals(0, back.packetsFwd(), "a drop has no counters");
    }
}
