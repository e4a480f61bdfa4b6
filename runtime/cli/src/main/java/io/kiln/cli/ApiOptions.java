package io.kiln.cli;

import io.kiln.agent.Agent;
import io.kiln.agent.api.AgentClient;
import io.kiln.agent.api.ApiServer;
import java.nio.file.Files;
import java.nio.file.Path;
import picocli.CommandLine.Option;

/** How the client commands reach the agent on this machine: its API port and the state folder holding its token. */
final class ApiOptions {
    @Option(names = "--api-port", paramLabel = "N",
            description = "Reach the agent over TCP on 127.0.0.1:N with its token (default: its Unix socket"
                    + " api.sock in the state folder if there is one, else port " + ApiServer.DEFAULT_PORT + ").")
    Integer port;

    @Option(names = "--state-dir", paramLabel = "DIR", defaultValue = "/run/kiln",
            description = "The agent's state folder, where it writes its API token (default: ${DEFAULT-VALUE}).")
    Path stateDir;

    AgentClient client() {
        Path socket = stateDir.resolve(AgentClient.SOCKET_FILE_NAME);
        if (port == null && Files.exists(socket)) {
            return AgentClient.unix(socket);
        }
        return AgentClient.local(port == null ? ApiServer.DEFAULT_PORT : port,
                stateDir.resolve(AgentClient.DEFAULT_TOKEN_FILE.getFileName().toString()));
    }

    static Path defaultStateDir() {
        return Agent.DEFAULT_STATE_DIR;
    }
}
