package io.kiln.agent.k8s;

import io.fabric8.kubernetes.api.model.Pod;
import io.fabric8.kubernetes.api.model.PodIP;
import io.kiln.agent.policy.PolicyComputer;
import io.kiln.agent.spec.EndpointSpec;
import io.kiln.agent.spec.SpecException;
import io.kiln.agent.spec.SpecReader;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * How a Pod becomes an endpoint. Every Pod of a namespace the operator's {@link PodProfiles} cover
 * is one once it runs on this node, is not terminating, does not use the host's network and has
 * an IPv4 address: a Pod cannot opt out of its policy. What the Pod may not decide comes from the
 * node and the operator: the endpoint id is the agent's ({@link KubernetesSource} allocates it),
 * the host-side interface follows the CNI's naming ({@link PodProfiles#interfaceOf}), the template,
 * build parameters and constants come from a profile. The Pod's annotations may only:
 * <pre>
 *   kiln.io/profile: ipv6                one of the profiles the operator allows in its namespace
 *   kiln.io/mac: 02:00:00:00:00:0c       the Pod's MAC (default none)
 * </pre>
 * {@code kiln.io/endpoint-id}, {@code kiln.io/interface}, {@code kiln.io/template},
 * {@code kiln.io/build} and {@code kiln.io/constants} are refused, as is a profile not allowed: the
 * Pod is then an endpoint with its namespace's default profile and the refusal is reported.
 * Its addresses are the Pod's IPs (the first IPv4 and the first IPv6); its labels are the Pod's
 * labels plus {@code io.kubernetes.pod.namespace: NAMESPACE}, so policies can select by namespace.
 */
public final class PodMapping {
    public static final String PREFIX = "kiln.io/";
    public static final String PROFILE = PREFIX + "profile";
    public static final String ENDPOINT_ID = PREFIX + "endpoint-id";
    public static final String INTERFACE = PREFIX + "interface";
    public static final String TEMPLATE = PREFIX + "template";
    public static final String BUILD = PREFIX + "build";
    public static final String CONSTANTS = PREFIX + "constants";
    public static final String MAC = PREFIX + "mac";
    public static final String DEFAULT_TEMPLATE = "endpoint";
    /** Annotations a Pod may no longer set, and who decides instead. */
    private static final Map<String, String> REFUSED = refused();
    /** Endpoint field to where it comes from, to place errors. */
    private static final Map<String, String> FIELD_SOURCE = Map.of("mac", "metadata.annotations[" + MAC + "]",
            "addresses", "status.podIPs", "labels", "metadata.labels");

    private PodMapping() {
    }

    private static Map<String, String> refused() {
        Map<String, String> m = new LinkedHashMap<>();
        m.put(ENDPOINT_ID, "the agent allocates endpoint ids");
        m.put(INTERFACE, "the interface is the Pod's own veth, named by the node's CNI");
        m.put(TEMPLATE, "the template comes from the operator's profiles");
        m.put(BUILD, "build parameters come from the operator's profiles");
        m.put(CONSTANTS, "constants come from the operator's profiles");
        return m;
    }

    /** An annotation the agent did not follow, and why. */
    public record Refusal(String annotation, String reason) {
        public String field() {
            return "metadata.annotations[" + annotation + "]";
        }
    }

    /** A Pod's endpoint and the annotations refused on the way (the endpoint runs without them). */
    public record Mapped(EndpointSpec spec, String profile, List<Refusal> refusals) {
        public Mapped {
            refusals = List.copyOf(refusals);
        }
    }

    /** {@code pod NAMESPACE/NAME}: the source of its errors. */
    public static String source(Pod pod) {
        return "pod " + pod.getMetadata().getNamespace() + "/" + pod.getMetadata().getName();
    }

    /**
     * True when the Pod should be an endpoint on this node now: its namespace is covered, it runs
     * here, has its own network, is not terminating or finished, and has an IPv4 address.
     */
    public static boolean isEndpoint(Pod pod, String nodeName, PodProfiles profiles) {
        if (pod.getSpec() == null || !nodeName.equals(pod.getSpec().getNodeName())
                || Boolean.TRUE.equals(pod.getSpec().getHostNetwork())
                || pod.getMetadata().getDeletionTimestamp() != null
                || profiles.rule(pod.getMetadata().getNamespace()).isEmpty()) {
            return false;
        }
        String phase = pod.getStatus() == null ? null : pod.getStatus().getPhase();
        return !"Succeeded".equals(phase) && !"Failed".equals(phase)
                && ips(pod).stream().anyMatch(ip -> ip.indexOf(':') < 0);
    }

    /**
     * The endpoint id a Pod gets when no other Pod of the node holds it: from a hash of its
     * namespace and name, so a restarted agent gives each Pod the id it had and adopts its programs.
     */
    public static int preferredId(String namespace, String name) {
        String h = PodProfiles.sha1Hex(namespace + "/" + name);
        return (int) (Long.parseLong(h.substring(0, 8), 16) % EndpointSpec.MAX_ID) + 1;
    }

    /**
     * The Pod's endpoint with endpoint id {@code id}; call only when {@link #isEndpoint}.
     *
     * @throws SpecException when what remains the Pod's to say (its MAC, labels, addresses) is not valid
     */
    public static Mapped endpoint(Pod pod, PodProfiles profiles, int id) {
        Map<String, String> a = annotations(pod);
        String source = source(pod);
        List<Refusal> refusals = new ArrayList<>();
        for (Map.Entry<String, String> r : REFUSED.entrySet()) {
            if (a.containsKey(r.getKey())) {
                refusals.add(new Refusal(r.getKey(), r.getValue()));
            }
        }
        PodProfiles.NamespaceRule rule = profiles.rule(pod.getMetadata().getNamespace()).orElseThrow();
        String profileName = rule.defaultProfile();
        String wanted = a.get(PROFILE);
        if (wanted != null) {
            wanted = wanted.strip();
            if (rule.allowed().contains(wanted)) {
                profileName = wanted;
            } else {
                refusals.add(new Refusal(PROFILE, (profiles.profile(wanted) == null ? "no profile '" + wanted + "'"
                        : "profile '" + wanted + "' is not allowed in namespace " + pod.getMetadata().getNamespace())
                        + "; allowed: " + String.join(", ", new java.util.TreeSet<>(rule.allowed()))));
            }
        }
        PodProfiles.Profile profile = profiles.profile(profileName);
        List<String> ips = ips(pod);
        String v4 = ips.stream().filter(ip -> ip.indexOf(':') < 0).findFirst().orElseThrow();
        Map<String, Object> tree = new LinkedHashMap<>();
        tree.put("id", id);
        tree.put("interface", profiles.interfaceOf(pod));
        tree.put("template", profile.template());
        Map<String, Object> build = new LinkedHashMap<>(profile.build());
        build.putAll(profiles.nodeBuild());
        tree.put("build", build);
        tree.put("constants", new LinkedHashMap<>(profile.constants()));
        if (!profile.chain().isEmpty()) {
            tree.put("chain", profile.chain()); // the operator's: a Pod cannot add, drop or reorder a guard
        }
        Map<String, Object> addresses = new LinkedHashMap<>();
        addresses.put("ipv4", v4);
        ips.stream().filter(ip -> ip.indexOf(':') >= 0).findFirst().ifPresent(v6 -> addresses.put("ipv6", v6));
        tree.put("addresses", addresses);
        if (a.containsKey(MAC)) {
            tree.put("mac", a.get(MAC));
        }
        Map<String, Object> labels = new LinkedHashMap<>();
        if (pod.getMetadata().getLabels() != null) {
            labels.putAll(pod.getMetadata().getLabels());
        }
        labels.put(PolicyComputer.NAMESPACE_LABEL, pod.getMetadata().getNamespace());
        tree.put("labels", labels);
        try {
            return new Mapped(SpecReader.endpoint(source, tree), profileName, refusals);
        } catch (SpecException e) {
            throw placed(e, profileName);
        }
    }

    private static List<String> ips(Pod pod) {
        List<String> out = new ArrayList<>();
        if (pod.getStatus() == null) {
            return out;
        }
        if (pod.getStatus().getPodIPs() != null) {
            for (PodIP ip : pod.getStatus().getPodIPs()) {
                if (ip.getIp() != null) {
                    out.add(ip.getIp());
                }
            }
        }
        if (out.isEmpty() && pod.getStatus().getPodIP() != null) {
            out.add(pod.getStatus().getPodIP());
        }
        return out;
    }

    private static Map<String, String> annotations(Pod pod) {
        Map<String, String> a = pod.getMetadata().getAnnotations();
        return a == null ? Map.of() : a;
    }

    /** Moves an error about an endpoint field onto where it came from: the Pod, or the operator's profile. */
    private static SpecException placed(SpecException e, String profile) {
        String field = e.field();
        String head = field.contains(".") ? field.substring(0, field.indexOf('.')) : field;
        String from = FIELD_SOURCE.get(head);
        String where = from != null ? from + (head.equals("labels") ? field.substring(head.length()) : "")
                : "(profile " + profile + ") " + field;
        return new SpecException(e.source(), 0, 0, where, e.reason(), e);
    }
}
