package io.kiln.cli;

import io.fabric8.kubernetes.api.model.Container;
import io.fabric8.kubernetes.api.model.apps.DaemonSet;
import io.fabric8.kubernetes.client.utils.Serialization;
import org.junit.jupiter.api.Test;
import picocli.CommandLine;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** The DaemonSet in deploy/ runs `kiln agent` with flags the command has, and probes the TCP port it opts into. */
class DeployArgsTest {
    @Test
    void theDaemonSetsCommandLineParses() throws Exception {
        Path file = Path.of(System.getProperty("kiln.home", "..")).resolve("deploy/daemonset.yaml");
        DaemonSet ds = Serialization.unmarshal(Files.readString(file), DaemonSet.class);
        Container c = ds.getSpec().getTemplate().getSpec().getContainers().get(0);
        assertEquals(List.of("kiln", "agent"), c.getCommand());
        List<String> args = c.getArgs().stream().map(a -> a.replace("$(NODE_NAME)", "node-1")).toList();

        AgentCommand agent = new AgentCommand();
        new CommandLine(agent).parseArgs(args.toArray(String[]::new));
        assertTrue(agent.kubernetes);
        assertEquals("node-1", agent.nodeName);
        assertEquals(Path.of("/run/kiln"), agent.stateDir);
        assertEquals(c.getLivenessProbe().getHttpGet().getPort().getIntVal(), agent.apiPort,
                "the liveness probe asks the agent's API, on the TCP port the DaemonSet opts into (off by default)");
        assertEquals("/healthz", c.getLivenessProbe().getHttpGet().getPath(), "the one path that needs no token");
        assertTrue(c.getVolumeMounts().stream().anyMatch(m -> m.getMountPath().equals(agent.pinRoot.getParent().toString())),
                "the pin root is on the mounted bpffs");
        assertTrue(c.getVolumeMounts().stream().anyMatch(m -> m.getMountPath().equals(agent.profiles.getParent().toString())),
                "the profiles file is on a mounted volume");
    }
}
