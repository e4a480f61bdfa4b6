package io.kiln.demo;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.Map;
import java.util.stream.Collectors;

/**
 * A spec directory as the agent's directory source reads it ({@code endpoints/}, {@code policies/},
 * {@code services/}), written the way an operator's tool should: each file through a temporary
 * file and an atomic rename, so the agent never reads half a spec.
 */
public final class SpecFiles {
    private final Path dir;

    public SpecFiles(Path dir) {
        this.dir = dir;
    }

    public Path dir() {
        return dir;
    }

    /** Writes {@code KIND/NAME.yaml}; returns its path. */
    public Path write(String kind, String name, String yaml) {
        Path file = dir.resolve(kind).resolve(name + ".yaml");
        try {
            Files.createDirectories(file.getParent());
            // hidden while incomplete: the directory source ignores dot files
            Path tmp = file.resolveSibling("." + name + ".yaml.tmp");
            Files.writeString(tmp, yaml, StandardCharsets.UTF_8);
            Files.move(tmp, file, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
            return file;
        } catch (IOException e) {
            throw new UncheckedIOException("write spec " + file + ": " + e.getMessage(), e);
        }
    }

    /**
     * The YAML of an endpoint of the endpoint template.
     *
     * @param build     build parameters (empty: the defaults)
     * @param constants constants beyond the derived ones (empty: none)
     * @param namespace the network namespace of {@code hostIf}, or null for the agent's own
     */
    public static String endpoint(int id, String hostIf, String namespace, String ipv4, String mac,
                                  Map<String, String> labels, Map<String, ?> build, Map<String, ?> constants) {
        StringBuilder y = new StringBuilder();
        y.append("id: ").append(id).append('\n');
        y.append("interface: ").append(hostIf).append('\n');
        if (namespace != null) {
            y.append("namespace: ").append(namespace).append('\n');
        }
        y.append("template: endpoint\n");
        if (!build.isEmpty()) {
            y.append("build: ").append(flow(build)).append('\n');
        }
        if (!constants.isEmpty()) {
            y.append("constants: ").append(flow(constants)).append('\n');
        }
        y.append("addresses: { ipv4: ").append(ipv4).append(" }\n");
        y.append("mac: \"").append(mac).append("\"\n");
        y.append("labels: ").append(flow(labels)).append('\n');
        return y.toString();
    }

    /** {@code yaml} (an endpoint's) with a {@code chain:} of one template and its constants. */
    public static String withChain(String yaml, String template, Map<String, ?> constants) {
        return yaml + "chain:\n  - template: " + template + "\n    constants: " + flow(constants) + "\n";
    }

    /**
     * A policy admitting, on {@code selector}'s endpoints, what endpoints labelled
     * {@code app: FROM} send to the given ports ("8080/TCP").
     */
    public static String ingressPolicy(String name, String app, java.util.List<String> fromApps,
                                       java.util.List<String> ports) {
        String from = fromApps.stream().map(a -> "{ matchLabels: { app: " + a + " } }")
                .collect(Collectors.joining(", ", "[ ", " ]"));
        String to = ports.stream().map(p -> {
            String[] pp = p.split("/");
            return "{ port: " + pp[0] + ", protocol: " + pp[1] + " }";
        }).collect(Collectors.joining(", ", "[ ", " ]"));
        return "name: " + name + "\n"
                + "endpointSelector: { matchLabels: { app: " + app + " } }\n"
                + "ingress:\n"
                + "  - fromEndpoints: " + from + "\n"
                + "    toPorts: " + to + "\n";
    }

    /** A TCP service {@code vip:port} in front of {@code backends} ("198.18.0.12:8080"). */
    public static String service(String name, String vip, int port, java.util.List<String> backends) {
        String b = backends.stream().map(x -> {
            String[] hp = x.split(":");
            return "  - { address: " + hp[0] + ", port: " + hp[1] + " }\n";
        }).collect(Collectors.joining());
        return "name: " + name + "\nvip: " + vip + "\nport: " + port + "\nprotocol: TCP\nbackends:\n" + b;
    }

    private static String flow(Map<String, ?> m) {
        return m.entrySet().stream().map(e -> e.getKey() + ": " + e.getValue())
                .collect(Collectors.joining(", ", "{ ", " }"));
    }
}
