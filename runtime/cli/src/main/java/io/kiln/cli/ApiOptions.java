package io.kiln.cli;

import io.kiln.agent.Agent;
import io.kiln.agent.api.AgentApiException;
import io.kiln.agent.api.AgentClient;
import java.nio.file.Files;
import java.nio.file.Path;
import picocli.CommandLine.Option;

/**
 * How the client commands reach the agent on this machine: its Unix socket in the state folder (the
 * default), or TCP on a port the agent was told to open, with the token from the state folder.
 */
final class ApiOptions {
    @Option(names = "--api-port", paramLabel = "N",
            description = "Reach the agent over TCP on 127.0.0.1:N with its token (an agent serves TCP only when"
                    + " started with --api-port). Default: its Unix socket api.sock in the state folder.")
    Integer port;

    @Option(names = "--state-dir", paramLabel = "DIR", defaultValue = "/run/kiln",
            description = "The agent's state folder, holding its socket api.sock and, with TCP, its token"
                    + " (default: ${DEFAULT-VALUE}).")
    Path stateDir;

    AgentClient client() {
        if (port != null) {
            return AgentClient.local(port, stateDir.resolve(AgentClient.DEFAULT_TOKEN_FILE.getFileName().toString()));
        }
        Path socket = stateDir.resolve(AgentClient.SOCKET_FILE_NAME);
        if (!Files.exists(socket)) {
            throw new AgentApiException("no agent answers at unix:" + socket + ": no such socket (is `kiln agent`"
                    + " running with --state-dir " + stateDir + "? are you root? over TCP: --api-port N)", null);
        }
        return AgentClient.unix(socket);
    }

    static Path defaultStateDir() {
        return Agent.DEFAULT_STATE_DIR;
    }
}
