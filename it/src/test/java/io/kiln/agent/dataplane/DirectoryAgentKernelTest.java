package io.kiln.agent.dataplane;

import io.kiln.agent.Agent;
import io.kiln.agent.api.AgentStatus;
import io.kiln.host.Netns;
import io.kiln.lab.UdpFlow;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.net.InetSocketAddress;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Map;

import static io.kiln.agent.dataplane.AgentLab.endpoint;
import static io.kiln.agent.dataplane.AgentLab.ip;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The agent on the real kernel, from a spec directory: two endpoints in namespaces come up, policy
 * changes are map writes that traffic follows at once, a service answers at its VIP, a constant change swaps programs without
 * clang, a build change compiles one new variant, and a restarted agent adopts everything without
 * a reload while a UDP flow runs through it.
 */
class DirectoryAgentKernelTest {
    private static final int TCP = 8080;
    private static final int UDP = 9000;

    @Test
    void specsInTrafficOutPolicyAsMapWritesRestartWithoutAGap(@TempDir Path tmp) throws Exception {
        try (AgentLab lab = AgentLab.create(tmp, 1, 2)) {
            lab.writeSpec("endpoints", "client.yaml", lab.endpointYaml(1, "{app: client}"));
            lab.writeSpec("endpoints", "web.yaml", lab.endpointYaml(2, "{app: web}"));
            lab.servers.tcp(lab.ns(2), TCP);
            lab.servers.udp(lab.ns(2), UDP);

            KernelDataplane dp = lab.dataplane();
            Agent agent = lab.start(lab.agent(dp).specDirectory(lab.specDir, Duration.ofSeconds(2)));
            AgentStatus st = lab.awaitReady(agent, 1, 2);
            Map<String, Integer> web = endpoint(st, 2).programIds();
            Map<String, Integer> client = endpoint(st, 1).programIds();
            assertEquals(java.util.Set.of("from_endpoint", "to_endpoint"), web.keySet());
            assertNotNull(endpoint(st, 2).variantKey());
            assertTrue(lab.hooksIntact(1) && lab.hooksIntact(2), "both endpoints' programs run on their hooks");
            assertTrue(EchoServers.udpWorks(lab.ns(1), ip(2), UDP), "no policy: everything allowed");
            assertTrue(EchoServers.tcpWorks(lab.ns(1), ip(2), TCP));

            // a policy: only TCP 8080 from the client into web; applied as map writes, no reload
            lab.writeSpec("policies", "web.yaml", """
                    name: web
                    endpointSelector: { matchLabels: { app: web } }
                    ingress:
                      - fromEndpoints: [ { matchLabels: { app: client } } ]
                        toPorts: [ { port: 8080, protocol: TCP } ]
                    """);
            AgentLab.eventually("UDP denied", () -> !EchoServers.udpWorks(lab.ns(1), ip(2), UDP),
                    () -> agent.reconciler().status().toString());
            assertTrue(EchoServers.tcpWorks(lab.ns(1), ip(2), TCP), "TCP 8080 is allowed");
            st = lab.awaitReady(agent, 1, 2);
            assertEquals(web, endpoint(st, 2).programIds(), "a policy change reloads nothing");
            assertEquals(client, endpoint(st, 1).programIds());
            String metrics = dp.metrics().text();
            assertTrue(metrics.contains("kiln_endpoint_drops_total{direction=\"ingress\",endpoint=\"2\",reason=\"POLICY_DENIED\",template=\"endpoint\"}"),
                    metrics);

            // UDP allowed too (any port): traffic follows, still no reload
            lab.writeSpec("policies", "web.yaml", """
                    name: web
                    endpointSelector: { matchLabels: { app: web } }
                    ingress:
                      - fromEndpoints: [ { matchLabels: { app: client } } ]
                        toPorts: [ { port: 8080, protocol: TCP }, { protocol: UDP } ]
                    """);
            AgentLab.eventually("UDP allowed", () -> EchoServers.udpWorks(lab.ns(1), ip(2), UDP),
                    () -> agent.reconciler().status().toString());
            st = lab.awaitReady(agent, 1, 2);
            assertEquals(web, endpoint(st, 2).programIds());

            // a service: node map writes, the client reaches web through the VIP
            lab.writeSpec("services", "web.yaml", "name: web\nvip: 198.18.200.1\nport: 80\nbackends: [ { address: "
                    + ip(2) + ", port: " + TCP + " } ]\n");
            AgentLab.eventually("the VIP answers", () -> EchoServers.tcpWorks(lab.ns(1), "198.18.200.1", 80),
                    () -> agent.reconciler().status().toString());

            // a constant changes: a swap from the cached object, no clang
            long clangRuns = dp.objects().clangRuns();
            lab.writeSpec("endpoints", "client.yaml", lab.endpointYaml(1, "{app: client}")
                    .replace("GATEWAY_IPV4: " + AgentLab.GATEWAY, "GATEWAY_IPV4: 198.18.0.254"));
            AgentLab.eventually("client swapped", () -> !client.equals(endpoint(agent.reconciler().status(), 1)
                    .programIds()) && agent.reconciler().awaitSettled(Duration.ZERO), () -> "");
            st = lab.awaitReady(agent, 1, 2);
            assertEquals("CONSTANTS", endpoint(st, 1).lastChange());
            assertEquals(clangRuns, dp.objects().clangRuns(), "a constant change runs no clang");
            assertEquals(web, endpoint(st, 2).programIds(), "the other endpoint is untouched");
            assertTrue(EchoServers.udpWorks(lab.ns(1), ip(2), UDP));

            // a build parameter changes: a new variant (compiled at most once), swapped in; the policy map stays
            String oldKey = endpoint(st, 2).variantKey();
            long runsBefore = dp.objects().clangRuns();
            lab.writeSpec("endpoints", "web.yaml", lab.endpointYaml(2, "{app: web}") + "build: { ipv6: true }\n");
            AgentLab.eventually("web on a new variant", () -> !oldKey.equals(endpoint(agent.reconciler().status(), 2)
                    .variantKey()) && agent.reconciler().awaitSettled(Duration.ZERO), () -> "");
            st = lab.awaitReady(agent, 1, 2);
            assertEquals("VARIANT", endpoint(st, 2).lastChange());
            assertTrue(dp.objects().clangRuns() <= runsBefore + 1, "one compile at most (none if the store had it)");
            assertTrue(EchoServers.udpWorks(lab.ns(1), ip(2), UDP) && EchoServers.tcpWorks(lab.ns(1), ip(2), TCP),
                    "the policy map kept its entries through the swap");
            Map<String, Integer> webNow = endpoint(st, 2).programIds();

            // restart: a new agent adopts what runs and reloads nothing; a UDP flow never stops
            Map<String, Integer> clientNow = endpoint(st, 1).programIds();
            UdpFlow flow = UdpFlow.start(Netns.named(lab.ns(1).name()), Netns.named(lab.ns(2).name()),
                    new InetSocketAddress(ip(2), UDP + 1), 2000, 1_000_000, Duration.ofSeconds(60));
            try {
                assertTrue(flow.awaitReceived(200, Duration.ofSeconds(10)), "the flow runs");
                agent.close();
                KernelDataplane dp2 = lab.dataplane();
                Agent second = lab.start(lab.agent(dp2).specDirectory(lab.specDir, Duration.ofSeconds(2)));
                AgentStatus after = lab.awaitReady(second, 1, 2);
                assertEquals(webNow, endpoint(after, 2).programIds(), "adopted, not reloaded");
                assertEquals(clientNow, endpoint(after, 1).programIds());
                assertEquals(null, endpoint(after, 2).lastChange(), "nothing was applied to it");
                String m = second.reconciler().text();
                assertTrue(m.contains("kiln_map_operations_total{scope=\"endpoint\"} 0.0\n")
                        && m.contains("kiln_map_operations_total{scope=\"node\"} 0.0\n"),
                        "policy and node maps read back equal to the plan: not one write\n" + m);
                // adopted, not planned since: its drop counters are still labelled by its template's reasons
                String drops = dp2.metrics().text();
                assertTrue(drops.contains("kiln_endpoint_drops_total{direction=\"ingress\",endpoint=\"2\","
                        + "reason=\"POLICY_DENIED\",template=\"endpoint\"}"), drops);
                long sentBefore = flow.sentSoFar();
                assertTrue(flow.awaitReceived(sentBefore + 200, Duration.ofSeconds(10)), "the flow still runs");
                UdpFlow.Result r = flow.stop();
                assertEquals(0, r.missing() - r.rcvbufErrors(), "no datagram lost across the restart: " + r);
            } finally {
                flow.close();
            }
        }
    }
}
