package io.kiln.agent.k8s;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.dataformat.yaml.YAMLFactory;
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
import java.util.Optional;

/**
 * How a Pod becomes an endpoint. A Pod is one when it runs on this node, is not terminating, has
 * an IPv4 address, and carries the annotation {@code kiln.io/endpoint-id}:
 * <pre>
 *   kiln.io/endpoint-id: "12"            the endpoint id, 1..65535 (required)
 *   kiln.io/interface: lxc-web-1         host side of its veth (default kiln-ID, as the CNI names it)
 *   kiln.io/template: endpoint           the template (default endpoint)
 *   kiln.io/build: '{ipv6: true}'        build parameters, a YAML or JSON map (default none)
 *   kiln.io/constants: '{GATEWAY_IPV4: 10.0.0.1}'   constants, a YAML or JSON map (default none)
 *   kiln.io/mac: 02:00:00:00:00:0c       the Pod's MAC (default none)
 * </pre>
 * Its addresses are the Pod's IPs (the first IPv4 and the first IPv6); its labels are the Pod's
 * labels plus {@code io.kubernetes.pod.namespace: NAMESPACE}, so policies can select by namespace.
 */
public final class PodMapping {
    public static final String PREFIX = "kiln.io/";
    public static final String ENDPOINT_ID = PREFIX + "endpoint-id";
    public static final String INTERFACE = PREFIX + "interface";
    public static final String TEMPLATE = PREFIX + "template";
    public static final String BUILD = PREFIX + "build";
    public static final String CONSTANTS = PREFIX + "constants";
    public static final String MAC = PREFIX + "mac";
    public static final String DEFAULT_TEMPLATE = "endpoint";
    private static final ObjectMapper YAML = new ObjectMapper(new YAMLFactory());
    /** Endpoint field to the annotation it comes from, to place errors. */
    private static final Map<String, String> FIELD_SOURCE = Map.of("id", ENDPOINT_ID, "interface", INTERFACE,
            "template", TEMPLATE, "build", BUILD, "constants", CONSTANTS, "mac", MAC);

    private PodMapping() {
    }

    /** True when the Pod asks to be an endpoint (whether or not it can be one yet). */
    public static boolean isEndpoint(Pod pod) {
        return annotations(pod).containsKey(ENDPOINT_ID);
    }

    /** {@code pod NAMESPACE/NAME}: the source of its errors. */
    public static String source(Pod pod) {
        return "pod " + pod.getMetadata().getNamespace() + "/" + pod.getMetadata().getName();
    }

    /**
     * The Pod's endpoint, or empty when it is not (yet, or any more) one: not on this node, not
     * annotated, terminating, finished, or without an IPv4 address so far.
     *
     * @throws SpecException when its annotations are not valid; the field names the annotation
     */
    public static Optional<EndpointSpec> endpoint(Pod pod, String nodeName) {
        if (!isEndpoint(pod) || pod.getSpec() == null || !nodeName.equals(pod.getSpec().getNodeName())
                || pod.getMetadata().getDeletionTimestamp() != null) {
            return Optional.empty();
        }
        String phase = pod.getStatus() == null ? null : pod.getStatus().getPhase();
        if ("Succeeded".equals(phase) || "Failed".equals(phase)) {
            return Optional.empty();
        }
        List<String> ips = ips(pod);
        String v4 = ips.stream().filter(ip -> ip.indexOf(':') < 0).findFirst().orElse(null);
        if (v4 == null) {
            return Optional.empty();
        }
        Map<String, String> a = annotations(pod);
        String source = source(pod);
        Map<String, Object> tree = new LinkedHashMap<>();
        tree.put("id", a.get(ENDPOINT_ID));
        String id = a.get(ENDPOINT_ID).strip();
        tree.put("interface", a.getOrDefault(INTERFACE, "kiln-" + id));
        tree.put("template", a.getOrDefault(TEMPLATE, DEFAULT_TEMPLATE));
        if (a.containsKey(BUILD)) {
            tree.put("build", inlineMap(source, BUILD, a.get(BUILD)));
        }
        if (a.containsKey(CONSTANTS)) {
            tree.put("constants", inlineMap(source, CONSTANTS, a.get(CONSTANTS)));
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
            return Optional.of(SpecReader.endpoint(source, tree));
        } catch (SpecException e) {
            throw placed(e);
        }
    }

    /** The endpoint id the Pod's annotation gives, if it is a number (to file an error under it). */
    public static String key(Pod pod) {
        String id = annotations(pod).get(ENDPOINT_ID);
        return id != null && id.strip().matches("[1-9][0-9]{0,4}") && Integer.parseInt(id.strip()) <= EndpointSpec.MAX_ID
                ? id.strip() : null;
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

    private static Object inlineMap(String source, String annotation, String text) {
        try {
            Object v = YAML.readValue(text, Object.class);
            if (v instanceof Map<?, ?>) {
                return v;
            }
        } catch (JsonProcessingException e) {
            // reported below
        }
        throw new SpecException(source, 0, 0, annotationField(annotation), "expected a YAML or JSON map like"
                + " {ipv6: true}, got '" + text + "'");
    }

    /** Moves an error about an endpoint field onto the annotation it came from. */
    private static SpecException placed(SpecException e) {
        String field = e.field();
        String head = field.contains(".") ? field.substring(0, field.indexOf('.')) : field;
        String annotation = FIELD_SOURCE.get(head);
        String where;
        if (annotation != null) {
            where = annotationField(annotation) + field.substring(head.length());
        } else if (head.equals("labels")) {
            where = "metadata." + field;
        } else if (head.equals("addresses")) {
            where = "status.podIPs";
        } else {
            where = field;
        }
        return new SpecException(e.source(), 0, 0, where, e.reason(), e);
    }

    private static String annotationField(String annotation) {
        return "metadata.annotations[" + annotation + "]";
    }
}
