package io.kiln.cli;

import io.fabric8.kubernetes.api.model.Container;
import io.fabric8.kubernetes.api.model.PodSpec;
import io.fabric8.kubernetes.api.model.Volume;
import io.fabric8.kubernetes.api.model.apps.DaemonSet;
import io.fabric8.kubernetes.client.utils.Serialization;
import org.junit.jupiter.api.Test;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * deploy/daemonset.yaml runs the image as AgentImageKernelTest runs it ({@link AgentContainer}): the same
 * image and command, privileged, the host's network, the same host paths at the same places with the same
 * propagation, and the same state folder.
 */
class DaemonSetMatchesImageTest {
    @Test
    void theDaemonSetsContainerIsTheOneTheImageTestRuns() throws Exception {
        Path file = Path.of(System.getProperty("kiln.home", "..")).resolve("deploy/daemonset.yaml");
        DaemonSet ds = Serialization.unmarshal(Files.readString(file), DaemonSet.class);
        PodSpec pod = ds.getSpec().getTemplate().getSpec();
        Container c = pod.getContainers().get(0);
        List<String> command = new ArrayList<>(List.of(c.getImage()));
        command.addAll(c.getCommand());
        assertEquals(AgentContainer.COMMAND, command, file + ": image and command");
        assertTrue(c.getSecurityContext().getPrivileged(), "privileged");
        assertTrue(pod.getHostNetwork(), "hostNetwork");
        assertTrue(c.getArgs().contains("--state-dir=" + AgentContainer.STATE), c.getArgs().toString());

        List<AgentContainer.Mount> mounts = new ArrayList<>();
        c.getVolumeMounts().forEach(m -> {
            Volume v = pod.getVolumes().stream().filter(x -> x.getName().equals(m.getName())).findFirst().orElseThrow();
            if (v.getHostPath() != null) {
                mounts.add(new AgentContainer.Mount(v.getHostPath().getPath(), m.getMountPath(), m.getMountPropagation(),
                        Boolean.TRUE.equals(m.getReadOnly())));
            }
        });
        assertEquals(AgentContainer.MOUNTS, mounts, file + ": host paths mounted as the image test mounts them");
    }
}
