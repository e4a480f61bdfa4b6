package io.kiln.runtime;

import io.kiln.host.Netns;

import java.nio.file.Path;
import java.util.Map;

/**
 * Attaches the gate to an endpoint in another JVM and exits without detaching, so that the test
 * can adopt what a process that is gone left behind. Prints {@code ids NAME=ID ...} on success.
 *
 * <p>Arguments: pin root, state folder, namespace name, endpoint id, attach mode.
 */
public final class AttachChildMain {
    private AttachChildMain() {
    }

    public static void main(String[] args) {
        EndpointLoader loader = EndpointLoader.builder().pinRoot(Path.of(args[0])).stateDir(Path.of(args[1]))
                .attachMode(AttachMode.valueOf(args[4])).build();
        int id = Integer.parseInt(args[3]);
        Endpoint endpoint = new Endpoint(id, EndpointLab.EP_IF, TestTemplates.gateConstants(0, 0, id),
                Netns.named(args[2]));
        try (AttachedEndpoint attached = loader.attach(TestTemplates.gateObject(), endpoint)) {
            StringBuilder sb = new StringBuilder("ids");
            for (Map.Entry<String, Integer> e : attached.programIds().entrySet()) {
                sb.append(' ').append(e.getKey()).append('=').append(e.getValue());
            }
            System.out.println(sb);
        }
        System.exit(0);
    }
}
