package io.kiln.agent;

import io.kiln.agent.spec.EndpointSpec;
import io.kiln.agent.spec.PolicySpec;
import io.kiln.agent.spec.ServiceSpec;
import io.kiln.agent.spec.SpecReader;
import io.kiln.agent.spec.TemplateCatalog;

import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.stream.Collectors;

/** Specs and the test template catalog, for the agent's tests. */
public final class Fixtures {
    private Fixtures() {
    }

    public static Path templates() {
        try {
            return Path.of(Fixtures.class.getResource("/agent/templates").toURI());
        } catch (java.net.URISyntaxException e) {
            throw new IllegalStateException(e);
        }
    }

    public static TemplateCatalog catalog() {
        return TemplateCatalog.scan(List.of(templates()));
    }

    /** The YAML of an endpoint {@code id} with labels and the address 198.18.0.{id}. */
    public static String endpointYaml(int id, Map<String, String> labels) {
        String l = labels.entrySet().stream().map(e -> e.getKey() + ": " + e.getValue())
                .collect(Collectors.joining(", ", "{", "}"));
        return "id: " + id + "\n"
                + "interface: lxc" + id + "\n"
                + "template: endpoint\n"
                + "addresses: {ipv4: 198.18." + (id / 256) + "." + (id % 256) + "}\n"
                + "mac: \"02:00:00:00:00:" + String.format("%02x", id % 256) + "\"\n"
                + "labels: " + l + "\n";
    }

    public static EndpointSpec endpoint(int id, Map<String, String> labels) {
        return SpecReader.endpoint("endpoints/" + id + ".yaml", endpointYaml(id, labels));
    }

    public static EndpointSpec endpoint(int id, String... labels) {
        java.util.Map<String, String> m = new java.util.LinkedHashMap<>();
        for (int i = 0; i + 1 < labels.length; i += 2) {
            m.put(labels[i], labels[i + 1]);
        }
        return endpoint(id, m);
    }

    public static PolicySpec policy(String yaml) {
        return SpecReader.policy("policies/p.yaml", yaml);
    }

    public static ServiceSpec service(String yaml) {
        return SpecReader.service("services/s.yaml", yaml);
    }
}
