package io.kiln.agent.dataplane;

import io.kiln.agent.Agent;
import io.kiln.agent.api.AgentStatus;
import io.kiln.runtime.AttachMode;
import io.kiln.runtime.AttachedEndpoint;
import io.kiln.runtime.EndpointLoader;
import io.kiln.runtime.PolicyChain;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;

import static io.kiln.agent.dataplane.AgentLab.endpoint;
import static io.kiln.agent.dataplane.AgentLab.ip;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * An endpoint spec's chain: through the agent on the real kernel: the syn_guard runs before web's
 * dataplane and cuts the client's SYNs after the budget while UDP flows; a restarted agent adopts
 * the chain without reloading it; a spec without the chain removes it.
 */
class ChainAgentKernelTest {
    private static final int TCP = 8080;
    private static final int UDP = 9000;
    private static final int BUDGET = 3;

    private static KernelDataplane dataplane(AgentLab lab, AttachMode mode) {
        return KernelDataplane.builder().pinRoot(lab.pinRoot).stateDirectory(lab.stateDir).objects(AgentLab.objects())
                .attachMode(mode).build();
    }

    private static List<Integer> chainPrograms(AgentLab lab) {
        PolicyChain chain = new PolicyChain(EndpointLoader.builder().pinRoot(lab.pinRoot)
                .stateDir(lab.stateDir.resolve("endpoints")).build());
        List<AttachedEndpoint> adopted = chain.adopt(2);
        try {
            assertTrue(adopted.stream().allMatch(AttachedEndpoint::isIntact), "the chain runs on its hooks");
            return adopted.stream().flatMap(a -> a.programIds().values().stream()).toList();
        } finally {
            adopted.forEach(AttachedEndpoint::close);
        }
    }

    /**
     * True once no chained program is left for endpoint 2. While the agent removes it, a position
     * may still have its state file with its hook already gone: that is "not yet", not a failure.
     */
    private static boolean chainGone(AgentLab lab) {
        PolicyChain chain = new PolicyChain(EndpointLoader.builder().pinRoot(lab.pinRoot)
                .stateDir(lab.stateDir.resolve("endpoints")).build());
        List<AttachedEndpoint> adopted;
        try {
            adopted = chain.adopt(2);
        } catch (RuntimeException halfRemoved) {
            return false;
        }
        adopted.forEach(AttachedEndpoint::close);
        return adopted.isEmpty();
    }

    @ParameterizedTest
    @EnumSource(value = AttachMode.class, names = {"TCX", "LEGACY_TC"})
    void aGuardCutsSynsAfterItsBudgetSurvivesARestartAndGoesWithItsEntry(AttachMode mode, @TempDir Path tmp)
            throws Exception {
        try (AgentLab lab = AgentLab.create(tmp, 1, 2)) {
            String web = lab.endpointYaml(2, "{app: web}");
            String guarded = web + "chain:\n  - template: syn_guard\n    constants: { SYN_BUDGET: " + BUDGET
                    + ", WINDOW_MS: 600000 }\n";
            lab.writeSpec("endpoints", "client.yaml", lab.endpointYaml(1, "{app: client}"));
            lab.writeSpec("endpoints", "web.yaml", guarded);
            lab.servers.tcp(lab.ns(2), TCP);
            lab.servers.udp(lab.ns(2), UDP);
            KernelDataplane dp = dataplane(lab, mode);
            Agent agent = lab.start(lab.agent(dp).specDirectory(lab.specDir, Duration.ofSeconds(2)));
            AgentStatus st = lab.awaitReady(agent, 1, 2);
            List<Integer> guard = chainPrograms(lab);
            assertEquals(1, guard.size(), "one chained program");
            lab.recordPrograms(guard);

            for (int i = 0; i < BUDGET; i++) {
                assertTrue(EchoServers.tcpWorks(lab.ns(1), ip(2), TCP), "SYN " + (i + 1) + " is within the budget");
            }
            assertFalse(EchoServers.tcpWorks(lab.ns(1), ip(2), TCP), "the guard drops the SYN past the budget");
            assertTrue(EchoServers.udpWorks(lab.ns(1), ip(2), UDP), "other traffic is handed on to the dataplane");
            String metrics = dp.metrics().text();
            // at least 1: the client's kernel may retransmit the dropped SYN before tcpWorks gives up
            java.util.regex.Matcher over = java.util.regex.Pattern.compile("kiln_chain_packets_total\\{endpoint=\"2\","
                    + "position=\"0\",reason=\"SYN_OVER_BUDGET\",template=\"syn_guard\"} (\\d+)\\.0\n").matcher(metrics);
            assertTrue(over.find() && Long.parseLong(over.group(1)) >= 1, metrics);
            assertTrue(metrics.contains("kiln_chain_packets_total{endpoint=\"2\",position=\"0\",reason=\"SYN_PASSED\","
                    + "template=\"syn_guard\"} " + BUDGET + ".0\n"), metrics);

            // restart: the chain is adopted, not reloaded, and still enforces the spent budget
            Map<String, Integer> webPrograms = endpoint(st, 2).programIds();
            agent.close();
            Agent second = lab.start(lab.agent(dataplane(lab, mode)).specDirectory(lab.specDir, Duration.ofSeconds(2)));
            AgentStatus after = lab.awaitReady(second, 1, 2);
            assertEquals(webPrograms, endpoint(after, 2).programIds(), "the dataplane adopted, not reloaded");
            assertEquals(null, endpoint(after, 2).lastChange(), "nothing was applied to it");
            assertEquals(guard, chainPrograms(lab), "the chain adopted, not reloaded");
            assertFalse(EchoServers.tcpWorks(lab.ns(1), ip(2), TCP), "the adopted guard still drops");

            // the entry goes from the spec: the guard goes, the dataplane alone decides again
            lab.writeSpec("endpoints", "web.yaml", web);
            AgentLab.eventually("chain removed", () -> chainGone(lab),
                    () -> second.reconciler().status().toString());
            lab.awaitReady(second, 1, 2);
            assertTrue(EchoServers.tcpWorks(lab.ns(1), ip(2), TCP), "no guard: the SYN reaches web");
            assertTrue(lab.hooksIntact(2));
        }
    }
}
