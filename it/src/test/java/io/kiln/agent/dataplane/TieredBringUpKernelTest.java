package io.kiln.agent.dataplane;

import io.kiln.agent.Agent;
import io.kiln.agent.api.AgentStatus;
import io.kiln.agent.api.EndpointStatus;
import io.kiln.agent.spec.TemplateCatalog;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;

import static io.kiln.agent.dataplane.AgentLab.endpoint;
import static io.kiln.agent.dataplane.AgentLab.ip;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Tiered bring-up through the agent on the real kernel. The endpoint template is copied into the
 * test's folder with one line added that makes clang refuse its specialized build (tier 1,
 * {@code configSource=constants}) and nothing else: new endpoints come up on tier 0, with their
 * policy enforced from the start, and stay there with the reason in their status, through an agent
 * restart; once the line is gone, the next retry builds tier 1 and swaps it in, and the policy
 * still holds.
 */
public class TieredBringUpKernelTest {
    private static final int TCP = 8080;
    private static final int UDP = 9000;
    private static final String BREAK = "#if defined(CONFIG_SOURCE_CONSTANTS)\n"
            + "#error \"test template: its specialized build (tier 1) is refused on purpose\"\n#endif\n";

    @Test
    void enforcedOnTier0AtOnceStaysThereWhenTier1FailsThenMovesToTier1(@TempDir Path tmp) throws Exception {
        try (AgentLab lab = AgentLab.create(tmp, 1, 2)) {
            Path templates = copyTemplates(tmp.resolve("bpf"));
            Path ftl = templates.resolve("endpoint").resolve("endpoint.bpf.c.ftl");
            String good = Files.readString(ftl);
            String anchor = "#define CONFIG_SOURCE_${configSource?upper_case} 1\n";
            assertTrue(good.contains(anchor), "the template still chooses its tier with " + anchor);
            Files.writeString(ftl, good.replace(anchor, anchor + BREAK));
            TemplateCatalog catalog = TemplateCatalog.scan(List.of(templates));

            lab.servers.tcp(lab.ns(2), TCP);
            lab.servers.udp(lab.ns(2), UDP);
            lab.writeSpec("policies", "web.yaml", """
                    name: web
                    endpointSelector: { matchLabels: { app: web } }
                    ingress:
                      - fromEndpoints: [ { matchLabels: { app: client } } ]
                        toPorts: [ { port: 8080, protocol: TCP } ]
                    """);
            lab.writeSpec("endpoints", "client.yaml", lab.endpointYaml(1, "{app: client}"));
            lab.writeSpec("endpoints", "web.yaml", lab.endpointYaml(2, "{app: web}"));

            KernelDataplane dp = lab.dataplane();
            assertTrue(dp.tiered(), "tiering is the default");
            Agent agent = lab.start(lab.agent(dp).catalog(catalog).specDirectory(lab.specDir, Duration.ofSeconds(2)));
            AgentStatus st = awaitOnTier0WithReason(lab, agent);
            Map<String, Integer> tier0 = endpoint(st, 2).programIds();
            assertEquals(tier0, endpoint(st, 1).programIds(), "one tier-0 program per hook, shared: " + st);
            lab.recordPrograms(tier0.values());
            assertTrue(lab.hooksIntact(1) && lab.hooksIntact(2));
            assertTrue(EchoServers.tcpWorks(lab.ns(1), ip(2), TCP), "TCP 8080 allowed on tier 0");
            assertFalse(EchoServers.udpAnsweredWithin(lab.ns(1), ip(2), UDP, 300), "UDP denied on tier 0");
            assertTrue(Files.exists(lab.stateDir.resolve("endpoints").resolve("2.tier0")));

            // a restart: the new agent adopts both on tier 0 (same programs), the policy holds throughout
            agent.close();
            assertTrue(EchoServers.tcpWorks(lab.ns(1), ip(2), TCP), "no agent: tier 0 still runs");
            KernelDataplane dp2 = lab.dataplane();
            Agent second = lab.start(lab.agent(dp2).catalog(catalog).specDirectory(lab.specDir, Duration.ofSeconds(2)));
            st = awaitOnTier0WithReason(lab, second);
            assertEquals(tier0, endpoint(st, 2).programIds(), "adopted on tier 0, not reattached");
            assertFalse(EchoServers.udpAnsweredWithin(lab.ns(1), ip(2), UDP, 300), "UDP still denied");
            assertTrue(EchoServers.tcpWorks(lab.ns(1), ip(2), TCP));

            // tier 1 builds again: the next retry swaps it in behind tier 0
            Files.writeString(ftl, good);
            AgentLab.eventually("both on tier 1", () -> {
                AgentStatus s = second.reconciler().status();
                return tierOf(s, 1) == 1 && tierOf(s, 2) == 1;
            }, () -> second.reconciler().status().toString());
            st = lab.awaitReady(second, 1, 2);
            for (int id : new int[] {1, 2}) {
                EndpointStatus e = endpoint(st, id);
                assertEquals("PROMOTE", e.lastChange());
                assertNull(e.reason(), e.toString());
                assertTrue(e.programIds().values().stream().noneMatch(tier0.values()::contains),
                        "its own programs now: " + e.programIds() + " vs tier 0 " + tier0);
                assertFalse(Files.exists(lab.stateDir.resolve("endpoints").resolve(id + ".tier0")));
            }
            assertNotEquals(endpoint(st, 1).programIds(), endpoint(st, 2).programIds());
            assertTrue(lab.hooksIntact(1) && lab.hooksIntact(2));
            assertTrue(EchoServers.tcpWorks(lab.ns(1), ip(2), TCP), "TCP 8080 allowed on tier 1");
            assertFalse(EchoServers.udpAnsweredWithin(lab.ns(1), ip(2), UDP, 300), "UDP denied on tier 1");

            // removed from tier 1: the endpoint goes, the other keeps its policy
            Files.delete(lab.specDir.resolve("endpoints").resolve("client.yaml"));
            AgentLab.eventually("client removed", () -> second.reconciler().status().endpoints().stream()
                    .noneMatch(e -> e.id() == 1), () -> second.reconciler().status().toString());
        }
    }

    @Test
    void withTieringOffANewEndpointGoesStraightToTier1(@TempDir Path tmp) throws Exception {
        try (AgentLab lab = AgentLab.create(tmp, 1, 2)) {
            lab.servers.tcp(lab.ns(2), TCP);
            lab.writeSpec("endpoints", "client.yaml", lab.endpointYaml(1, "{app: client}"));
            lab.writeSpec("endpoints", "web.yaml", lab.endpointYaml(2, "{app: web}"));
            KernelDataplane dp = KernelDataplane.builder().pinRoot(lab.pinRoot).stateDirectory(lab.stateDir)
                    .objects(AgentLab.objects()).tier0(false).attachMode(AgentLab.attachMode()).build();
            Agent agent = lab.start(lab.agent(dp).specDirectory(lab.specDir, Duration.ofSeconds(2)));
            AgentStatus st = lab.awaitReady(agent, 1, 2);
            assertEquals(1, endpoint(st, 2).tier());
            assertEquals("CREATE", endpoint(st, 2).lastChange(), "no promotion: it was never on tier 0");
            assertNotEquals(endpoint(st, 1).programIds(), endpoint(st, 2).programIds());
            assertTrue(EchoServers.tcpWorks(lab.ns(1), ip(2), TCP));
        }
    }

    private static AgentStatus awaitOnTier0WithReason(AgentLab lab, Agent agent) throws Exception {
        AgentLab.eventually("both ready on tier 0, tier 1 refused", () -> {
            AgentStatus s = agent.reconciler().status();
            for (int id : new int[] {1, 2}) {
                EndpointStatus e = s.endpoints().stream().filter(x -> x.id() == id).findFirst().orElse(null);
                if (e == null || e.state() != EndpointStatus.State.READY || e.tier() == null || e.tier() != 0
                        || e.reason() == null) {
                    return false;
                }
            }
            return true;
        }, () -> agent.reconciler().status().toString());
        AgentStatus st = agent.reconciler().status();
        String reason = endpoint(st, 2).reason();
        assertTrue(reason.contains("on tier 0 (enforced)") && reason.contains("refused on purpose"), reason);
        return st;
    }

    private static int tierOf(AgentStatus s, int id) {
        return s.endpoints().stream().filter(e -> e.id() == id).findFirst().map(e -> e.tier() == null ? -1 : e.tier())
                .orElse(-1);
    }

    public static Path copyTemplates(Path to) throws IOException {
        Path from = Path.of(System.getProperty("kiln.home", ".."), "bpf-templates", "src", "main", "bpf");
        try (Stream<Path> walk = Files.walk(from)) {
            for (Path p : walk.toList()) {
                Path target = to.resolve(from.relativize(p).toString());
                if (Files.isDirectory(p)) {
                    Files.createDirectories(target);
                } else {
                    Files.copy(p, target);
                }
            }
        }
        return to;
    }
}
