package io.kiln.agent.dataplane;

import io.kiln.agent.Agent;
import io.kiln.agent.api.AgentStatus;
import io.kiln.agent.api.EndpointStatus;
import io.kiln.host.Netns;
import io.kiln.lab.UdpFlow;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.net.InetSocketAddress;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Map;

import static io.kiln.agent.dataplane.AgentLab.endpoint;
import static io.kiln.agent.dataplane.AgentLab.ip;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * A downgrade: an endpoint's state file is in a format a newer Kiln wrote (here: this Kiln's own
 * file with the format number raised and a field this Kiln does not know). The agent must neither
 * adopt nor clear it: the endpoint is reported with the reason, its programs keep enforcing policy
 * and carrying a flow without a loss; the other endpoint is served as usual. Once the file is in a
 * format this Kiln reads again (the newer Kiln's own downgrade step, or an upgrade back), the agent
 * adopts the endpoint without a reload.
 */
class DowngradeKernelTest {
    private static final int TCP = 8080;
    private static final int UDP = 9000;

    @Test
    void anEndpointLeftByANewerKilnKeepsRunningUntouched(@TempDir Path tmp) throws Exception {
        try (AgentLab lab = AgentLab.create(tmp, 1, 2)) {
            lab.writeSpec("endpoints", "client.yaml", lab.endpointYaml(1, "{app: client}"));
            lab.writeSpec("endpoints", "web.yaml", lab.endpointYaml(2, "{app: web}"));
            lab.writeSpec("policies", "web.yaml", """
                    name: web
                    endpointSelector: { matchLabels: { app: web } }
                    ingress:
                      - fromEndpoints: [ { matchLabels: { app: client } } ]
                        toPorts: [ { protocol: UDP } ]
                    """);
            lab.servers.tcp(lab.ns(2), TCP);
            lab.servers.udp(lab.ns(2), UDP);
            Agent first = lab.start(lab.agent(lab.dataplane()).specDirectory(lab.specDir, Duration.ofSeconds(2)));
            AgentStatus st = lab.awaitReady(first, 1, 2);
            Map<String, Integer> web = endpoint(st, 2).programIds();
            assertTrue(EchoServers.udpWorks(lab.ns(1), ip(2), UDP));
            assertFalse(EchoServers.tcpWorks(lab.ns(1), ip(2), TCP), "web's policy denies TCP");
            first.close();

            Path state = lab.stateDir.resolve("endpoints").resolve("2.json");
            String ours = Files.readString(state);
            assertTrue(ours.contains("\"format\" : 1"), ours);
            Files.writeString(state, ours.replace("\"format\" : 1", "\"format\" : 2, \"addedInFormat2\" : { \"x\" : 1 }"));

            UdpFlow flow = UdpFlow.start(Netns.named(lab.ns(1).name()), Netns.named(lab.ns(2).name()),
                    new InetSocketAddress(ip(2), UDP + 1), 2000, 1_000_000, Duration.ofSeconds(60));
            try {
                assertTrue(flow.awaitReceived(200, Duration.ofSeconds(10)), "the flow runs");
                Agent older = lab.start(lab.agent(lab.dataplane()).specDirectory(lab.specDir, Duration.ofSeconds(2)));
                lab.awaitReady(older, 1);
                AgentLab.eventually("endpoint 2 reported with the reason", () -> {
                    EndpointStatus e = endpoint(older.reconciler().status(), 2);
                    return e.state() != EndpointStatus.State.READY && e.reason() != null
                            && e.reason().contains("written by a newer Kiln (state format 2");
                }, () -> older.reconciler().status().toString());
                String reason = endpoint(older.reconciler().status(), 2).reason();
                assertTrue(reason.contains("left running"), reason);
                Thread.sleep(1500); // the reconciler's retries come and go: still nothing touched
                assertEquals(ours.replace("\"format\" : 1", "\"format\" : 2, \"addedInFormat2\" : { \"x\" : 1 }"),
                        Files.readString(state), "the newer Kiln's state file is left as it was");
                assertFalse(EchoServers.tcpWorks(lab.ns(1), ip(2), TCP), "web's programs still enforce its policy");
                assertTrue(EchoServers.udpWorks(lab.ns(1), ip(2), UDP));
                long sent = flow.sentSoFar();
                assertTrue(flow.awaitReceived(sent + 200, Duration.ofSeconds(10)), "the flow still runs");
                older.close();

                // the format this Kiln reads is back: adopted as it runs, not reloaded
                Files.writeString(state, ours);
                Agent again = lab.start(lab.agent(lab.dataplane()).specDirectory(lab.specDir, Duration.ofSeconds(2)));
                AgentStatus after = lab.awaitReady(again, 1, 2);
                assertEquals(web, endpoint(after, 2).programIds(), "the same programs ran all along");
                UdpFlow.Result r = flow.stop();
                assertEquals(0, r.missing() - r.rcvbufErrors(), "no datagram lost: " + r);
            } finally {
                flow.close();
            }
        }
    }
}
