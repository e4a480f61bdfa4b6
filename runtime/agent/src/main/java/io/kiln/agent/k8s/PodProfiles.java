package io.kiln.agent.k8s;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.dataformat.yaml.YAMLFactory;
import io.fabric8.kubernetes.api.model.Pod;
import io.kiln.agent.spec.SpecException;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.Set;
import java.util.function.Function;

/**
 * The cluster operator's say over how Pods become endpoints ({@code --profiles FILE}): what a Pod
 * may not decide itself. A profile is a template with its build parameters and constants; each
 * namespace has a default profile and the profiles its Pods may pick with {@code kiln.io/profile}.
 * Node-wide build parameters (map sizes every endpoint of the node shares) are set once, under
 * {@code nodeBuild}, never by a profile:
 * <pre>
 * interfacePrefix: kiln        # host-side veth: PREFIX + 11 hex digits of sha1("NAMESPACE.NAME")
 * nodeBuild: { ctSize: 262144 }
 * nodeWide: [ctSize]           # default [ctSize]
 * profiles:
 *   default: { template: endpoint }
 *   ipv6:    { template: endpoint, build: { ipv6: true }, constants: { GATEWAY_IPV4: 10.0.0.1 } }
 *   guarded: { template: endpoint, chain: [ { template: syn_guard, constants: { SYN_BUDGET: 100 } } ] }
 * namespaces:                  # "*": every namespace not listed; a namespace not covered has no endpoints
 *   "*":  { default: default }
 *   shop: { default: default, allowed: [default, ipv6] }
 * </pre>
 */
public final class PodProfiles {
    public static final String ANY_NAMESPACE = "*";
    public static final String DEFAULT_PREFIX = "kiln";
    public static final Set<String> DEFAULT_NODE_WIDE = Set.of("ctSize");
    private static final ObjectMapper YAML = new ObjectMapper(new YAMLFactory());

    /** A template with its build parameters and constants, and the templates chained before it ({@code chain:}). */
    public record Profile(String template, Map<String, Object> build, Map<String, Object> constants,
                          List<Object> chain) {
        public Profile {
            Objects.requireNonNull(template, "template");
            build = Map.copyOf(build);
            constants = Map.copyOf(constants);
            chain = List.copyOf(chain); // as written: read and checked like an endpoint spec's chain: entries
        }

        /** A profile without a chain. */
        public Profile(String template, Map<String, Object> build, Map<String, Object> constants) {
            this(template, build, constants, List.of());
        }
    }

    /** A namespace's default profile and the ones its Pods may select (the default always among them). */
    public record NamespaceRule(String defaultProfile, Set<String> allowed) {
        public NamespaceRule {
            Objects.requireNonNull(defaultProfile, "defaultProfile");
            Set<String> a = new LinkedHashSet<>(allowed);
            a.add(defaultProfile);
            allowed = Set.copyOf(a);
        }
    }

    private final Map<String, Profile> profiles;
    private final Map<String, NamespaceRule> namespaces;
    private final Map<String, Object> nodeBuild;
    private final Function<Pod, String> interfaces;

    public PodProfiles(Map<String, Profile> profiles, Map<String, NamespaceRule> namespaces,
                       Map<String, Object> nodeBuild, Function<Pod, String> interfaces) {
        this.profiles = Map.copyOf(profiles);
        this.namespaces = Map.copyOf(namespaces);
        this.nodeBuild = Map.copyOf(nodeBuild);
        this.interfaces = Objects.requireNonNull(interfaces, "interfaces");
        for (Map.Entry<String, NamespaceRule> n : this.namespaces.entrySet()) {
            for (String p : n.getValue().allowed()) {
                if (!this.profiles.containsKey(p)) {
                    throw new IllegalArgumentException("namespace " + n.getKey() + " names unknown profile " + p);
                }
            }
        }
    }

    /** Without a file: every namespace, one profile {@code default} (template {@code endpoint}, its defaults). */
    public static PodProfiles defaults() {
        return new PodProfiles(Map.of("default", new Profile(PodMapping.DEFAULT_TEMPLATE, Map.of(), Map.of())),
                Map.of(ANY_NAMESPACE, new NamespaceRule("default", Set.of())), Map.of(), hashedInterface(DEFAULT_PREFIX));
    }

    /** The same profiles with another way to find a Pod's host-side interface (a CNI with its own naming). */
    public PodProfiles withInterfaces(Function<Pod, String> naming) {
        return new PodProfiles(profiles, namespaces, nodeBuild, naming);
    }

    /**
     * The host-side veth name {@code PREFIX + first 11 hex digits of sha1("NAMESPACE.NAME")}: the
     * convention of Calico (prefix {@code cali}). Both parts come from the API server, not from
     * anything a Pod's author can aim at another Pod's interface.
     */
    public static Function<Pod, String> hashedInterface(String prefix) {
        return pod -> prefix + sha1Hex(pod.getMetadata().getNamespace() + "." + pod.getMetadata().getName())
                .substring(0, 11);
    }

    static String sha1Hex(String s) {
        try {
            return HexFormat.of().formatHex(MessageDigest.getInstance("SHA-1").digest(s.getBytes(StandardCharsets.UTF_8)));
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }

    public String interfaceOf(Pod pod) {
        return interfaces.apply(pod);
    }

    public Map<String, Object> nodeBuild() {
        return nodeBuild;
    }

    /** The namespace's rule, or empty when the operator did not cover it (its Pods are no endpoints). */
    public Optional<NamespaceRule> rule(String namespace) {
        NamespaceRule r = namespaces.get(namespace);
        return Optional.ofNullable(r != null ? r : namespaces.get(ANY_NAMESPACE));
    }

    public Profile profile(String name) {
        return profiles.get(name);
    }

    /**
     * Reads an operator's profiles file.
     *
     * @throws SpecException naming the file and field when it is not valid
     */
    public static PodProfiles read(Path file) {
        String src = file.toString();
        Object root;
        try {
            root = YAML.readValue(Files.readString(file), Object.class);
        } catch (IOException e) {
            throw new SpecException(src, 0, 0, "", "cannot read profiles: " + e.getMessage().lines().findFirst()
                    .orElse(""));
        }
        Map<String, Object> top = map(src, "", root);
        known(src, "", top, List.of("interfacePrefix", "nodeBuild", "nodeWide", "profiles", "namespaces"));
        String prefix = DEFAULT_PREFIX;
        if (top.containsKey("interfacePrefix")) {
            prefix = String.valueOf(top.get("interfacePrefix"));
            if (!prefix.matches("[a-z][a-z0-9]{0,3}")) {
                throw new SpecException(src, 0, 0, "interfacePrefix", "expected 1 to 4 lower-case letters or digits"
                        + " (the name is at most 15 characters), got '" + prefix + "'");
            }
        }
        Map<String, Object> nodeBuild = top.containsKey("nodeBuild") ? map(src, "nodeBuild", top.get("nodeBuild"))
                : Map.of();
        Set<String> nodeWide = new LinkedHashSet<>(DEFAULT_NODE_WIDE);
        if (top.containsKey("nodeWide")) {
            nodeWide.clear();
            for (Object o : list(src, "nodeWide", top.get("nodeWide"))) {
                nodeWide.add(String.valueOf(o));
            }
        }
        for (String k : nodeBuild.keySet()) {
            if (!nodeWide.contains(k)) {
                throw new SpecException(src, 0, 0, "nodeBuild." + k, "'" + k + "' is not node-wide (nodeWide: "
                        + nodeWide + "); set it in a profile's build");
            }
        }
        Map<String, Profile> profiles = new LinkedHashMap<>();
        Map<String, Object> ps = map(src, "profiles", top.get("profiles"));
        if (ps.isEmpty()) {
            throw new SpecException(src, 0, 0, "profiles", "expected at least one profile");
        }
        for (Map.Entry<String, Object> e : ps.entrySet()) {
            String at = "profiles." + e.getKey();
            if (!e.getKey().matches("[a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?")) {
                throw new SpecException(src, 0, 0, at, "expected a profile name of lower-case letters, digits and '-'");
            }
            Map<String, Object> p = map(src, at, e.getValue());
            known(src, at, p, List.of("template", "build", "constants", "chain"));
            Map<String, Object> build = p.containsKey("build") ? map(src, at + ".build", p.get("build")) : Map.of();
            for (String k : build.keySet()) {
                if (nodeWide.contains(k)) {
                    throw new SpecException(src, 0, 0, at + ".build." + k, "'" + k + "' is node-wide: every endpoint"
                            + " of the node shares it; set it under nodeBuild");
                }
            }
            Map<String, Object> constants = p.containsKey("constants") ? map(src, at + ".constants", p.get("constants"))
                    : Map.of();
            String template = p.containsKey("template") ? String.valueOf(p.get("template")) : PodMapping.DEFAULT_TEMPLATE;
            List<Object> chain = p.containsKey("chain") ? new ArrayList<>(list(src, at + ".chain", p.get("chain")))
                    : List.of();
            profiles.put(e.getKey(), new Profile(template, build, constants, chain));
        }
        Map<String, NamespaceRule> namespaces = new LinkedHashMap<>();
        for (Map.Entry<String, Object> e : map(src, "namespaces", top.get("namespaces")).entrySet()) {
            String at = "namespaces." + e.getKey();
            Map<String, Object> n = map(src, at, e.getValue());
            known(src, at, n, List.of("default", "allowed"));
            if (!n.containsKey("default")) {
                throw new SpecException(src, 0, 0, at + ".default", "missing: the profile of Pods that select none");
            }
            String def = String.valueOf(n.get("default"));
            List<String> allowed = new ArrayList<>();
            allowed.add(def);
            if (n.containsKey("allowed")) {
                list(src, at + ".allowed", n.get("allowed")).forEach(o -> allowed.add(String.valueOf(o)));
            }
            for (String a : allowed) {
                if (!profiles.containsKey(a)) {
                    throw new SpecException(src, 0, 0, at, "unknown profile '" + a + "'; known: "
                            + String.join(", ", profiles.keySet()));
                }
            }
            namespaces.put(e.getKey(), new NamespaceRule(def, new LinkedHashSet<>(allowed)));
        }
        return new PodProfiles(profiles, namespaces, nodeBuild, hashedInterface(prefix));
    }

    @SuppressWarnings("unchecked")
    private static Map<String, Object> map(String src, String field, Object v) {
        if (v instanceof Map<?, ?> m) {
            return (Map<String, Object>) m;
        }
        throw new SpecException(src, 0, 0, field, "expected a map, got " + (v == null ? "nothing" : "'" + v + "'"));
    }

    private static List<?> list(String src, String field, Object v) {
        if (v instanceof List<?> l) {
            return l;
        }
        throw new SpecException(src, 0, 0, field, "expected a list, got '" + v + "'");
    }

    private static void known(String src, String at, Map<String, Object> m, List<String> allowed) {
        for (String k : m.keySet()) {
            if (!allowed.contains(k)) {
                throw new SpecException(src, 0, 0, at.isEmpty() ? k : at + "." + k, "unknown field '" + k
                        + "'; allowed: " + String.join(", ", allowed));
            }
        }
    }
}
