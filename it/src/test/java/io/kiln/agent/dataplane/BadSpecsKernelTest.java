package io.kiln.agent.dataplane;

import io.kiln.agent.Agent;
import io.kiln.agent.api.AgentApiException;
import io.kiln.agent.api.AgentClient;
import io.kiln.agent.api.AgentStatus;
import io.kiln.agent.api.EndpointStatus;
import io.kiln.agent.spec.SpecKind;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Path;
import java.time.Duration;
import java.util.Map;

import static io.kiln.agent.dataplane.AgentLab.endpoint;
import static io.kiln.agent.dataplane.AgentLab.ip;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Bad input on a live node: specs that cannot be used (unknown template, bad address, unknown
 * field, identity clash) and a variant clang refuses are each reported, in {@code kiln status} and
 * through the API, with the place to fix; nothing else changes: programs keep their ids and
 * traffic keeps flowing.
 */
class BadSpecsKernelTest {
    private static final int UDP = 9000;

    @Test
    void badSpecsAreReportedAndChangeNothingElse(@TempDir Path tmp) throws Exception {
        try (AgentLab lab = AgentLab.create(tmp, 1, 2)) {
            lab.writeSpec("endpoints", "client.yaml", lab.endpointYaml(1, "{app: client}"));
            lab.writeSpec("endpoints", "web.yaml", lab.endpointYaml(2, "{app: web}"));
            lab.servers.udp(lab.ns(2), UDP);
            KernelDataplane dp = lab.dataplane();
            Agent agent = lab.start(lab.agent(dp).specDirectory(lab.specDir, Duration.ofSeconds(2)).api(true));
            AgentStatus st = lab.awaitReady(agent, 1, 2);
            Map<String, Integer> client = endpoint(st, 1).programIds();
            Map<String, Integer> web = endpoint(st, 2).programIds();
            int webIdentity = endpoint(st, 2).identity();
            AgentClient api = AgentClient.unix(agent.apiSocket());

            lab.writeSpec("endpoints", "typo.yaml", lab.endpointYaml(3, "{app: a}").replace("template: endpoint",
                    "template: endpiont"));
            lab.writeSpec("endpoints", "address.yaml", lab.endpointYaml(4, "{app: b}").replace(ip(4), "198.18.0.300"));
            lab.writeSpec("endpoints", "field.yaml", lab.endpointYaml(5, "{app: c}") + "macaddr: 02:00:00:00:01:05\n");
            lab.writeSpec("endpoints", "clash.yaml", lab.endpointYaml(6, "{app: d}") + "identity: " + webIdentity + "\n");
            AgentLab.eventually("four spec errors", () -> api.status().errors().size() >= 4, () -> api.statusJson());
            AgentStatus viaApi = api.status();
            assertReason(viaApi, 3, "typo.yaml:4", "template: unknown template 'endpiont'; known: endpoint");
            assertReason(viaApi, 4, "address.yaml:6", "addresses.ipv4: expected an IPv4 unicast address");
            assertReason(viaApi, 5, "field.yaml:9", "macaddr: unknown field 'macaddr'");
            assertReason(viaApi, 6, "clash.yaml:9", "identity:");
            String json = api.statusJson();
            assertTrue(json.contains("unknown template 'endpiont'") && json.contains("unknown field 'macaddr'"), json);

            AgentApiException refused = assertThrows(AgentApiException.class, () -> api.apply(SpecKind.ENDPOINT,
                    lab.endpointYaml(7, "{app: e}").replace("labels:", "lables:")));
            assertEquals(400, refused.status());
            assertEquals("lables", refused.field());

            // a variant clang refuses (loadBalancing needs connectionTracking): the old programs keep running
            lab.writeSpec("endpoints", "web.yaml", lab.endpointYaml(2, "{app: web}")
                    + "build: { connectionTracking: false }\n");
            AgentLab.eventually("web not ready", () -> endpoint(api.status(), 2).state()
                    == EndpointStatus.State.NOT_READY, () -> api.statusJson());
            String reason = endpoint(api.status(), 2).reason();
            assertTrue(reason.startsWith("endpoint 2: "), reason);
            assertTrue(reason.matches("(?s).*lb\\.h:\\d+.*needs connectionTracking.*"), reason);
            assertEquals(web, endpoint(api.status(), 2).programIds(), "the old programs run on");
            assertTrue(lab.hooksIntact(2));

            AgentStatus now = agent.reconciler().status();
            assertEquals(client, endpoint(now, 1).programIds(), "nothing else changed");
            assertEquals(EndpointStatus.State.READY, endpoint(now, 1).state());
            assertTrue(EchoServers.udpWorks(lab.ns(1), ip(2), UDP), "traffic still flows");
        }
    }

    private static void assertReason(AgentStatus st, int id, String... expected) {
        EndpointStatus e = endpoint(st, id);
        assertEquals(EndpointStatus.State.NOT_READY, e.state(), e.toString());
        for (String x : expected) {
            assertTrue(e.reason() != null && e.reason().contains(x), "endpoint " + id + ": " + e.reason());
        }
        assertTrue(e.programIds().isEmpty(), "nothing was loaded for it");
    }
}
