package io.kiln.cli;

import io.kiln.agent.Agent;
import io.kiln.agent.api.AgentClient;
import io.kiln.agent.api.ApiServer;
import java.nio.file.Path;
import picocli.CommandLine.Option;

/** How the client commands reach the agent on this machine: its API port and the state folder holding its token. */
final class ApiOptions {
    @Option(names = "--api-port", paramLabel = "N", defaultValue = "" + ApiServer.DEFAULT_PORT,
            description = "The agent's API port on 127.0.0.1 (default: ${DEFAULT-VALUE}).")
    int port;

    @Option(names = "--state-dir", paramLabel = "DIR", defaultValue = "/run/kiln",
            description = "The agent's state folder, where it writes its API token (default: ${DEFAULT-VALUE}).")
    Path stateDir;

    AgentClient client() {
        return AgentClient.local(port, stateDir.resolve(AgentClient.DEFAULT_TOKEN_FILE.getFileName().toString()));
    }

    static Path defaultStateDir() {
        return Agent.DEFAULT_STATE_DIR;
    }
}
