package io.kiln.agent;

import io.kiln.agent.api.AgentApiException;
import io.kiln.agent.api.AgentClient;
import io.kiln.agent.api.AgentStatus;
import io.kiln.agent.api.EndpointStatus;
import io.kiln.agent.plan.ChangeKind;
import io.kiln.agent.reconcile.ReconcilerOptions;
import io.kiln.agent.reconcile.RecordingDataplane;
import io.kiln.agent.spec.SpecKind;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Clock;
import java.time.Duration;
import java.util.Map;
import java.util.function.BooleanSupplier;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** The agent wired end to end over an in-memory dataplane: files and API in, dataplane calls out. */
class AgentTest {
    private static final Duration WAIT = Duration.ofSeconds(20);
    private final RecordingDataplane dataplane = new RecordingDataplane();

    private Agent agent(Path state, Path specs) {
        return Agent.builder().catalog(Fixtures.catalog()).dataplane(dataplane).stateDirectory(state)
                .specDirectory(specs, Duration.ofSeconds(30)).apiPort(0)
                .reconcilerOptions(new ReconcilerOptions(2, Duration.ofMillis(20), Duration.ofMillis(200),
                        Clock.systemUTC()))
                .build().start();
    }

    @Test
    void filesAndTheApiDriveEndpointsAndARestartReloadsNothing(@TempDir Path dir) throws Exception {
        Path state = dir.resolve("state");
        Path specs = dir.resolve("specs");
        Files.createDirectories(specs.resolve("endpoints"));
        Files.writeString(specs.resolve("endpoints/web.yaml"), Fixtures.endpointYaml(1, Map.of("app", "web")));
        Files.writeString(specs.resolve("endpoints/client.yaml"), Fixtures.endpointYaml(2, Map.of("app", "client")));
        int webIdentity;
        try (Agent a = agent(state, specs)) {
            waitFor(() -> ready(a) == 2);
            assertEquals(2, dataplane.running.size());
            webIdentity = a.plan().endpoints().get(1).identity();
            assertEquals("rw-------", PosixFilePermissions.toString(Files.getPosixFilePermissions(a.tokenFile())));

            Files.createDirectories(specs.resolve("policies"));
            Files.writeString(specs.resolve("policies/web.yaml"), """
                    name: web
                    endpointSelector: { matchLabels: { app: web } }
                    ingress:
                      - fromEndpoints: [ { matchLabels: { app: client } } ]
                        toPorts: [ { port: 80, protocol: TCP } ]
                    """);
            waitFor(() -> !dataplane.callsOf("policy", 1).isEmpty());
            assertTrue(a.reconciler().awaitSettled(WAIT));
            assertEquals(1, dataplane.regenerations(1).size(), "the policy was applied as map writes");
            assertEquals(a.plan().endpoints().get(1).policy(), dataplane.policies.get(1));

            AgentClient client = AgentClient.local(a.apiUri().orElseThrow().getPort(), a.tokenFile());
            client.apply(SpecKind.ENDPOINT, Fixtures.endpointYaml(3, Map.of("app", "client")));
            waitFor(() -> ready(a) == 3);
            assertEquals(a.plan().endpoints().get(2).identity(), a.plan().endpoints().get(3).identity(),
                    "the same labels, the same identity");

            Files.writeString(specs.resolve("endpoints/bad.yaml"), Fixtures.endpointYaml(4, Map.of("app", "x"))
                    .replace("template: endpoint", "template: nope"));
            waitFor(() -> client.status().errors().stream().anyMatch(e -> "4".equals(e.key())));
            AgentStatus st = client.status();
            EndpointStatus four = st.endpoints().stream().filter(e -> e.id() == 4).findFirst().orElseThrow();
            assertEquals(EndpointStatus.State.NOT_READY, four.state());
            assertTrue(four.reason().contains("bad.yaml:3: template: unknown template 'nope'"), four.reason());
            assertEquals(3, st.ready(), "the others are untouched");

            AgentApiException refused = assertThrows(AgentApiException.class, () -> client.apply(SpecKind.ENDPOINT,
                    Fixtures.endpointYaml(5, Map.of("app", "y")).replace("198.18.0.5", "198.18.0.5/24")));
            assertEquals("addresses.ipv4", refused.field());
            String metrics = client.metrics();
            assertTrue(metrics.contains("kiln_regeneration_seconds_bucket{kind=\"CREATE\",le=\"+Inf\"} 3"), metrics);
        }

        long before = dataplane.calls.stream().filter(RecordingDataplane.Call::reloads).count();
        dataplane.adoptWhatRuns();
        try (Agent restarted = agent(state, specs)) {
            waitFor(() -> ready(restarted) == 3);
            assertTrue(restarted.reconciler().awaitSettled(WAIT));
            assertEquals(webIdentity, restarted.plan().endpoints().get(1).identity(), "identities survive the restart");
            assertEquals(before, dataplane.calls.stream().filter(RecordingDataplane.Call::reloads).count(),
                    "nothing was reloaded after the restart");
            assertEquals(3, dataplane.running.size(), "the API's endpoint came back from the state folder");
            assertEquals(0, dataplane.calls.stream().filter(c -> c.kind() == ChangeKind.REMOVE).count());
        }
    }

    /** By default the API is on the state folder's owner-only socket alone: no TCP port, no token file. */
    @Test
    void theApiIsOnTheUnixSocketOnlyByDefault(@TempDir Path dir) throws Exception {
        Path state = dir.resolve("fresh/state"); // made by the agent: the socket needs its folder
        try (Agent a = Agent.builder().catalog(Fixtures.catalog()).dataplane(dataplane).stateDirectory(state).build()
                .start()) {
            assertTrue(a.apiUri().isEmpty(), "no TCP without a port");
            assertTrue(!Files.exists(a.tokenFile()), "no token without TCP");
            assertEquals("rw-------", PosixFilePermissions.toString(Files.getPosixFilePermissions(a.apiSocket())));
            AgentClient client = AgentClient.unix(a.apiSocket());
            client.apply(SpecKind.ENDPOINT, Fixtures.endpointYaml(1, Map.of("app", "web")));
            waitFor(() -> ready(a) == 1);
            assertEquals(1, client.status().ready());
        }
        assertThrows(IllegalStateException.class, () -> Agent.builder().catalog(Fixtures.catalog())
                .dataplane(dataplane).api(false).apiPort(0).build());
        assertThrows(IllegalArgumentException.class, () -> Agent.builder().apiPort(65536));
    }

    private static int ready(Agent a) {
        return a.reconciler().status().ready();
    }

    private static void waitFor(BooleanSupplier condition) throws InterruptedException {
        long deadline = System.nanoTime() + WAIT.toNanos();
        while (!condition.getAsBoolean()) {
            if (System.nanoTime() > deadline) {
                throw new AssertionError("condition not met within " + WAIT);
            }
            Thread.sleep(10);
        }
    }
}
