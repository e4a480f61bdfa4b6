package io.kiln.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.kiln.agent.api.AgentMetrics;
import io.kiln.agent.api.AgentStatus;
import io.kiln.agent.api.ApiServer;
import io.kiln.agent.api.ApiSource;
import io.kiln.agent.api.EndpointStatus;
import io.kiln.agent.spec.DesiredState;
import io.kiln.agent.spec.TemplateCatalog;
import java.nio.file.Path;
import java.time.Instant;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** How the client commands reach an agent: its Unix socket by default, TCP with the token on --api-port. */
class ApiClientCliTest {
    @Test
    void statusUsesTheAgentsUnixSocket(@TempDir Path state) {
        ApiSource store = new ApiSource(state.resolve("api"), snapshot -> { });
        store.start();
        AgentStatus status = new AgentStatus(Instant.parse("2026-01-01T00:00:00Z"), true, 0, 0, List.of(),
                EndpointStatus.State.READY, null, List.of());
        try (ApiServer api = new ApiServer(new ApiServer.Options(0, "tok", state.resolve("api.sock")), store,
                TemplateCatalog.of(List.of()), () -> DesiredState.EMPTY, () -> status, () -> AgentMetrics.cache(0, 0, 0))) {
            api.start();
            CliTest.Run run = CliTest.kiln("status", "--state-dir", state.toString());
            assertEquals(0, run.exit(), run.err());
            assertTrue(run.out().startsWith("agent: synced, 0/0 endpoints ready"), run.out());

            // over TCP the token is needed, GETs too; there is no token file here
            CliTest.Run tcp = CliTest.kiln("status", "--state-dir", state.toString(), "--api-port", String.valueOf(api.port()));
            assertEquals(2, tcp.exit(), tcp.out()); // refused, as a change without the token always was
            assertTrue(tcp.err().contains("needs the agent's token"), tcp.err());
        }
        CliTest.Run gone = CliTest.kiln("status", "--state-dir", state.toString());
        assertEquals(1, gone.exit(), gone.out());
        assertEquals("kiln: no agent answers at unix:" + state.resolve("api.sock") + ": no such socket (is `kiln agent`"
                + " running with --state-dir " + state + "? are you root? over TCP: --api-port N)", gone.err().strip());
    }
}
