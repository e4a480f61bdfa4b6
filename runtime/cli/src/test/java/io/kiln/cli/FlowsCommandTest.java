package io.kiln.cli;

import io.kiln.agent.api.AgentMetrics;
import io.kiln.agent.api.AgentStatus;
import io.kiln.agent.api.ApiServer;
import io.kiln.agent.api.ApiSource;
import io.kiln.agent.api.EndpointStatus;
import io.kiln.agent.flow.FlowPeer;
import io.kiln.agent.flow.FlowRecord;
import io.kiln.agent.flow.Verdict;
import io.kiln.agent.spec.DesiredState;
import io.kiln.agent.spec.TemplateCatalog;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.net.InetAddress;
import java.nio.file.Path;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** kiln flows against an agent API: the table, --json, the filters as query parameters, --follow. */
class FlowsCommandTest {
    private static String line(long seq, String type, Verdict v, int dport) throws Exception {
        Instant t = Instant.parse("2026-12-04T12:00:00Z");
        FlowPeer s = new FlowPeer(InetAddress.getByName("198.18.0.11"), 40000, 3001, 1, "lxc1",
                new TreeMap<>(Map.of("app", "client")));
        FlowPeer d = new FlowPeer(InetAddress.getByName("198.18.0.12"), dport, 3002, 2, "lxc2", new TreeMap<>());
        boolean drop = type.equals("drop");
        return new FlowRecord(seq, t, type, v, drop ? "POLICY_DENIED" : null, drop ? 2 : 1, drop ? "lxc2" : "lxc1",
                drop ? "ingress" : "egress", drop ? "UDP" : "TCP", s, d, drop ? List.of() : List.of("SYN", "ACK", "FIN"),
                drop ? null : t, drop ? null : t, 6, 3400, 5, 5400, 0).toJson();
    }

    @Test
    void showsRecentFlowsAsATableOrJsonAndFollows(@TempDir Path state) throws Exception {
        ApiSource store = new ApiSource(state.resolve("api"), snapshot -> { });
        store.start();
        AgentStatus status = new AgentStatus(Instant.parse("2026-01-01T00:00:00Z"), true, 0, 0, List.of(),
                EndpointStatus.State.READY, null, List.of());
        List<Map<String, String>> queries = new ArrayList<>();
        String first = line(1, "end", Verdict.FORWARDED, 8080) + "\n" + line(2, "drop", Verdict.DROPPED, 53) + "\n";
        String later = line(3, "start", Verdict.AUDIT, 9000) + "\n";
        try (ApiServer api = new ApiServer(new ApiServer.Options(-1, null, state.resolve("api.sock")), store,
                TemplateCatalog.of(List.of()), () -> DesiredState.EMPTY, () -> status, () -> AgentMetrics.cache(0, 0, 0))) {
            api.flows(q -> {
                queries.add(q);
                return q.containsKey("after") ? later : first;
            });
            api.start();
            CliTest.Run table = CliTest.kiln("flows", "--state-dir", state.toString());
            assertEquals(0, table.exit(), table.err());
            List<String> rows = table.out().lines().toList();
            assertEquals(3, rows.size(), table.out());
            assertTrue(rows.get(0).startsWith("TIME"), rows.get(0));
            assertTrue(rows.get(1).contains("end") && rows.get(1).contains("FORWARDED")
                    && rows.get(1).contains("198.18.0.11:40000 lxc1") && rows.get(1).contains("198.18.0.12:8080 lxc2")
                    && rows.get(1).contains("SYN,ACK,FIN") && rows.get(1).contains("6/3400 <> 5/5400"), rows.get(1));
            assertTrue(rows.get(2).contains("DROPPED") && rows.get(2).contains("POLICY_DENIED (ep 2 lxc2 ingress)"),
                    rows.get(2));

            CliTest.Run json = CliTest.kiln("flows", "--state-dir", state.toString(), "--json", "--verdict", "DROPPED",
                    "--from", "app=client", "--port", "53", "--protocol", "UDP", "-n", "10");
            assertEquals(0, json.exit(), json.err());
            assertEquals(first, json.out());
            assertEquals(Map.of("from", "app=client", "verdict", "DROPPED", "port", "53", "protocol", "UDP", "limit", "10"),
                    queries.get(queries.size() - 1));

            CliTest.Run follow = CliTest.kiln("flows", "--state-dir", state.toString(), "--json", "--follow", "--max", "3");
            assertEquals(0, follow.exit(), follow.err());
            assertEquals(first + later, follow.out());
            Map<String, String> next = queries.get(queries.size() - 1);
            assertEquals("2", next.get("after"), "follows from the last record it printed");
            assertEquals("20000", next.get("wait"));
        }
    }

    @Test
    void saysOnStderrWhatTheDataplaneLostOrSuppressedAndKeepsJsonClean(@TempDir Path state) throws Exception {
        ApiSource store = new ApiSource(state.resolve("api"), snapshot -> { });
        store.start();
        AgentStatus status = new AgentStatus(Instant.parse("2026-01-01T00:00:00Z"), true, 0, 0, List.of(),
                EndpointStatus.State.READY, null, List.of());
        long[] lost = {0};
        io.kiln.agent.api.MetricsProvider metrics = io.kiln.agent.api.MetricsProvider.of(
                io.prometheus.metrics.core.metrics.CounterWithCallback.builder().name("kiln_flow_events_lost_total")
                        .help("lost").callback(c -> c.call(lost[0])).build(),
                io.prometheus.metrics.core.metrics.CounterWithCallback.builder()
                        .name("kiln_flow_drop_events_suppressed_total").help("suppressed").callback(c -> c.call(4945))
                        .build());
        String one = line(1, "drop", Verdict.DROPPED, 53) + "\n";
        try (ApiServer api = new ApiServer(new ApiServer.Options(-1, null, state.resolve("api.sock")), store,
                TemplateCatalog.of(List.of()), () -> DesiredState.EMPTY, () -> status, metrics)) {
            api.flows(q -> one);
            api.start();
            CliTest.Run json = CliTest.kiln("flows", "--state-dir", state.toString(), "--json");
            assertEquals(0, json.exit(), json.err());
            assertEquals(one, json.out(), "the records alone on stdout");
            assertTrue(json.err().contains("0 events lost (ring full), 4945 drop events suppressed"), json.err());
            lost[0] = 12;
            CliTest.Run table = CliTest.kiln("flows", "--state-dir", state.toString());
            assertTrue(table.err().contains("12 events lost (ring full)"), table.err());
        }
        assertEquals(0, FlowsCommand.counter("# HELP x\nkiln_flow_events_lost_total 0.0\n", "kiln_flow_events_lost_total"));
        assertEquals(7, FlowsCommand.counter("kiln_flow_events_lost_total_x 3\nkiln_flow_events_lost_total 7\n",
                "kiln_flow_events_lost_total"));
    }
}
