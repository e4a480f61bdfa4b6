package io.kiln.cli;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.kiln.agent.dataplane.AgentLab;
import io.kiln.agent.dataplane.EchoServers;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;

import static io.kiln.agent.dataplane.AgentLab.ip;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * {@code kiln agent} as a process on the real kernel, driven by the other commands in process:
 * {@code status}, {@code policy apply|delete}, {@code endpoint apply} with a bad spec, SIGTERM
 * (the programs keep running), then {@code uninstall} (they go).
 */
class AgentCliKernelTest {
    private static final Duration WAIT = Duration.ofSeconds(90);
    private static final int UDP = 9000;

    @Test
    void agentStatusApplyDeleteStopAndUninstall(@TempDir Path tmp) throws Exception {
        try (AgentLab lab = AgentLab.create(tmp, 1, 2)) {
            lab.writeSpec("endpoints", "client.yaml", lab.endpointYaml(1, "{app: client}"));
            lab.writeSpec("endpoints", "web.yaml", lab.endpointYaml(2, "{app: web}"));
            lab.servers.udp(lab.ns(2), UDP);
            String state = lab.stateDir.toString();
            try (AgentProcess agent = AgentProcess.start(List.of("--spec-dir", lab.specDir.toString(), "--state-dir", state,
                    "--pin-root", lab.pinRoot.toString(),
                    "--cache-dir", Path.of("target", "kiln-test-store").toAbsolutePath().toString()))) {
                // no --api-port: the API is on the state folder's owner-only socket, no TCP port is opened
                String api = agent.await("kiln agent: API at (.*)", WAIT);
                assertEquals("unix:" + lab.stateDir.resolve("api.sock").toAbsolutePath() + " (mode 0600)", api);
                agent.await("adopted 0 endpoint", WAIT);
                agent.await("ready: 2/2 endpoint", WAIT);
                AgentLab.assertAttachedAsForced(lab.pinRoot, lab.stateDir, 1, 2);

                CliRuns.Run status = CliRuns.kiln("status", "--state-dir", state);
                assertEquals(0, status.exit(), status.err());
                assertTrue(status.out().contains("2/2 endpoints ready"), status.out());
                assertTrue(status.out().matches("(?s).*\\n1 +ready +[01] +lxc1 +endpoint .*from_endpoint=\\d+ to_endpoint=\\d+.*"),
                        status.out());
                JsonNode json = new ObjectMapper().readTree(CliRuns.kiln("status", "--json", "--state-dir", state).out());
                List<Integer> programs = new ArrayList<>();
                json.get("endpoints").forEach(e -> e.get("programIds").forEach(id -> programs.add(id.asInt())));
                assertEquals(4, programs.size(), json.toString());
                lab.recordPrograms(programs);
                assertTrue(EchoServers.udpWorks(lab.ns(1), ip(2), UDP));

                Path policy = tmp.resolve("web-policy.yaml");
                Files.writeString(policy, "name: web\nendpointSelector: { matchLabels: { app: web } }\ningress: []\n");
                CliRuns.Run applied = CliRuns.kiln("policy", "apply", policy.toString(), "--state-dir", state);
                assertEquals(0, applied.exit(), applied.err());
                assertEquals("policy web applied", applied.out().strip());
                AgentLab.eventually("UDP denied", () -> !EchoServers.udpWorks(lab.ns(1), ip(2), UDP), agent::output);

                Path bad = tmp.resolve("bad.yaml");
                Files.writeString(bad, lab.endpointYaml(3, "{app: x}") + "colour: blue\n");
                CliRuns.Run refused = CliRuns.kiln("endpoint", "apply", bad.toString(), "--state-dir", state);
                assertEquals(2, refused.exit());
                assertEquals(1, refused.err().strip().lines().count(), refused.err());
                assertTrue(refused.err().startsWith("kiln: " + bad + ":9"), refused.err());

                CliRuns.Run deleted = CliRuns.kiln("policy", "delete", "web", "--state-dir", state);
                assertEquals(0, deleted.exit(), deleted.err());
                AgentLab.eventually("UDP allowed again", () -> EchoServers.udpWorks(lab.ns(1), ip(2), UDP), agent::output);

                int exit = agent.terminate(WAIT);
                assertTrue(exit == 0 || exit == 143, "exit " + exit + ":\n" + agent.output());
                assertTrue(agent.output().contains("stopped; every program keeps running"), "exit " + exit + ": " + agent.output());
            }
            assertTrue(lab.hooksIntact(1) && lab.hooksIntact(2), "the programs outlive the agent");
            assertTrue(EchoServers.udpWorks(lab.ns(1), ip(2), UDP), "and traffic still flows");

            CliRuns.Run noAgent = CliRuns.kiln("status", "--state-dir", state);
            assertEquals(1, noAgent.exit());
            assertTrue(noAgent.err().startsWith("kiln: no agent answers at unix:" + lab.stateDir.resolve("api.sock")),
                    noAgent.err());
            CliRuns.Run noTcp = CliRuns.kiln("status", "--api-port", "1", "--state-dir", state);
            assertEquals(1, noTcp.exit());
            assertTrue(noTcp.err().contains("no agent answers at http://127.0.0.1:1"), noTcp.err());

            CliRuns.Run uninstall = CliRuns.kiln("uninstall", "--pin-root", lab.pinRoot.toString(), "--state-dir", state);
            assertEquals(0, uninstall.exit(), uninstall.err());
            assertTrue(uninstall.out().contains("2 endpoint(s) detached"), uninstall.out());
            assertFalse(Files.exists(lab.pinRoot), "no pin left");
            assertFalse(Files.exists(lab.stateDir.resolve("endpoints")) || Files.exists(lab.stateDir.resolve("api-token")));
        }
    }

    @Test
    void badAgentOptionsAreOneLineAndExitTwo(@TempDir Path tmp) {
        for (List<String> args : List.of(List.of("agent", "--kubernetes"), List.of("agent", "--spec-dir",
                tmp.resolve("nope").toString()), List.of("agent", "--api-port", "x"), List.of("agent", "--colour"),
                List.of("agent", "--api-port", "70000"), List.of("agent", "--no-api", "--api-port", "1"),
                List.of("agent", "--pin-root", tmp.resolve("pins").toString()),
                List.of("agent", "--templates", tmp.resolve("none").toString()))) {
            CliRuns.Run r = CliRuns.kiln(args.toArray(String[]::new));
            assertEquals(2, r.exit(), args + ": " + r.err());
            assertEquals(1, r.err().strip().lines().count(), args + ": " + r.err());
            assertTrue(r.err().startsWith("kiln: "), r.err());
        }
    }
}
