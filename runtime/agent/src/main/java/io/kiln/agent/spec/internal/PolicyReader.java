package io.kiln.agent.spec.internal;

import io.kiln.agent.spec.Origin;
import io.kiln.agent.spec.SpecException;
import io.kiln.agent.spec.Cidr;
import io.kiln.agent.spec.DnsQueryNames;
import io.kiln.agent.spec.Entity;
import io.kiln.agent.spec.FqdnSelector;
import io.kiln.agent.spec.LabelSelector;
import io.kiln.agent.spec.Labels;
import io.kiln.agent.spec.PolicyRule;
import io.kiln.agent.spec.PolicySpec;
import io.kiln.agent.spec.PortRule;
import io.kiln.agent.spec.Protocol;
import io.kiln.yaml.LocatedFields;
import io.kiln.yaml.LocatedNode;

import java.util.List;
import java.util.regex.Pattern;

/**
 * Reads a policy spec. The same reader serves files, the API and the {@code spec} of a
 * Kubernetes {@code KilnPolicy} (where the name comes from the object's metadata).
 */
public final class PolicyReader {
    public static final List<String> FIELDS = List.of("name", "endpointSelector", "ingress", "egress", "ingressDeny",
            "egressDeny");
    private static final List<String> INGRESS_RULE = List.of("fromEndpoints", "fromCIDR", "fromEntities", "toPorts");
    private static final List<String> EGRESS_RULE = List.of("toEndpoints", "toCIDR", "toEntities", "toPorts", "toFQDNs");
    /** A Kubernetes object name (DNS subdomain), so that a file policy could become a KilnPolicy as it is. */
    public static final Pattern NAME = Pattern.compile("[a-z0-9]([-a-z0-9.]{0,251}[a-z0-9])?");

    private final String source;
    private final LocatedFields<SpecException> f;

    public PolicyReader(String source) {
        this.source = source;
        this.f = new LocatedFields<>((line, column, field, reason) -> new SpecException(source, line, column, field, reason));
    }

    /** A policy document with its own {@code name}. */
    public PolicySpec read(LocatedNode root) {
        LocatedNode.Mapping top = f.mapping(root, "");
        f.allowOnly(top, "", FIELDS, "a policy");
        return readAt(top, "", name(f, top), null);
    }

    /** The {@code spec} of a Kubernetes object: no {@code name} inside; name and namespace are given. */
    public PolicySpec readKubernetes(LocatedNode spec, String name, String namespace) {
        LocatedNode.Mapping top = f.mapping(spec, "spec");
        List<String> allowed = FIELDS.subList(1, FIELDS.size());
        f.allowOnly(top, "spec", allowed, "a KilnPolicy spec");
        return readAt(top, "spec", name, namespace);
    }

    private PolicySpec readAt(LocatedNode.Mapping top, String at, String name, String namespace) {
        String selPath = LocatedFields.child(at, "endpointSelector");
        LabelSelector selector = selector(f.required(top, at, "endpointSelector"), selPath);
        List<PolicyRule> ingress = top.entries().containsKey("ingress") ? rules(top, at, "ingress", true) : null;
        List<PolicyRule> egress = top.entries().containsKey("egress") ? rules(top, at, "egress", false) : null;
        List<PolicyRule> ingressDeny = rules(top, at, "ingressDeny", true);
        List<PolicyRule> egressDeny = rules(top, at, "egressDeny", false);
        return new PolicySpec(name, namespace, selector, ingress, egress, ingressDeny, egressDeny,
                new Origin(source, LocatedFields.lines(top)));
    }

    static String name(LocatedFields<SpecException> f, LocatedNode.Mapping top) {
        LocatedNode n = f.required(top, "", "name");
        String name = f.string(n, "name");
        if (!NAME.matcher(name).matches()) {
            throw f.error(n, "name", "'" + name + "' is not a valid name: lower-case letters, digits, '-' and '.',"
                    + " starting and ending with a letter or digit");
        }
        return name;
    }

    private List<PolicyRule> rules(LocatedNode.Mapping top, String at, String key, boolean ingress) {
        String path = LocatedFields.child(at, key);
        return f.each(f.optionalList(top, at, key), path, (n, p) -> rule(n, p, ingress, key.endsWith("Deny")));
    }

    private PolicyRule rule(LocatedNode node, String path, boolean ingress, boolean deny) {
        LocatedNode.Mapping m = f.mapping(node, path);
        List<String> allowed = ingress ? INGRESS_RULE : EGRESS_RULE;
        LocatedNode names = LocatedFields.optional(m, "toFQDNs");
        if (deny && names != null) {
            throw f.error(names, LocatedFields.child(path, "toFQDNs"), "not allowed in a deny rule: a name's addresses"
                    + " are known only once an answer arrives, so a deny by name could not hold from the first packet;"
                    + " deny by toCIDR instead");
        }
        f.allowOnly(m, path, allowed, ingress ? "an ingress rule" : "an egress rule");
        String ep = allowed.get(0);
        String cidr = allowed.get(1);
        String ent = allowed.get(2);
        List<LabelSelector> endpoints = f.each(f.optionalList(m, path, ep), LocatedFields.child(path, ep), this::selector);
        List<Cidr> cidrs = f.each(f.optionalList(m, path, cidr), LocatedFields.child(path, cidr), this::cidr);
        List<Entity> entities = f.each(f.optionalList(m, path, ent), LocatedFields.child(path, ent), this::entity);
        List<PortRule> ports = f.each(f.optionalList(m, path, "toPorts"), LocatedFields.child(path, "toPorts"),
                (n, p) -> port(n, p, !ingress && !deny));
        List<FqdnSelector> fqdns = ingress ? List.of()
                : f.each(f.optionalList(m, path, "toFQDNs"), LocatedFields.child(path, "toFQDNs"), this::fqdn);
        return new PolicyRule(endpoints, cidrs, entities, ports, fqdns);
    }

    private LabelSelector selector(LocatedNode node, String path) {
        LocatedNode.Mapping m = f.mapping(node, path);
        f.allowOnly(m, path, List.of("matchLabels"), "a label selector");
        Labels labels = EndpointReader.labels(f, f.optionalMapping(m, path, "matchLabels"),
                LocatedFields.child(path, "matchLabels"));
        return LabelSelector.of(labels.map());
    }

    private FqdnSelector fqdn(LocatedNode node, String path) {
        LocatedNode.Mapping m = f.mapping(node, path);
        f.allowOnly(m, path, List.of("matchName", "matchPattern"), "a DNS name selector");
        LocatedNode name = LocatedFields.optional(m, "matchName");
        LocatedNode pattern = LocatedFields.optional(m, "matchPattern");
        if ((name == null) == (pattern == null)) {
            throw f.error(node, path, "give exactly one of matchName (api.example.test) and matchPattern (*.example.test)");
        }
        String field = LocatedFields.child(path, name != null ? "matchName" : "matchPattern");
        LocatedNode value = name != null ? name : pattern;
        String text = f.string(value, field);
        try {
            return name != null ? FqdnSelector.name(text) : FqdnSelector.pattern(text);
        } catch (IllegalArgumentException e) {
            throw f.error(value, field, e.getMessage());
        }
    }

    private Cidr cidr(LocatedNode node, String path) {
        String text = f.string(node, path);
        try {
            return Cidr.parse(text);
        } catch (IllegalArgumentException e) {
            throw f.error(node, path, e.getMessage());
        }
    }

    private Entity entity(LocatedNode node, String path) {
        String text = f.string(node, path);
        return Entity.parse(text).orElseThrow(() -> f.error(node, path, "unknown entity '" + text
                + "'; known: host, world, all"));
    }

    private PortRule port(LocatedNode node, String path, boolean dnsAllowed) {
        LocatedNode.Mapping m = f.mapping(node, path);
        LocatedNode dnsNode = LocatedFields.optional(m, "dns");
        if (dnsNode != null && !dnsAllowed) {
            throw f.error(dnsNode, LocatedFields.child(path, "dns"), "DNS rules on queries belong to egress rules"
                    + " (toPorts: [{port: 53, protocol: UDP, dns: [...]}]), not to ingress or deny rules");
        }
        f.allowOnly(m, path, List.of("port", "protocol", "dns"), "a port");
        Protocol protocol = Protocol.ANY;
        LocatedNode pn = LocatedFields.optional(m, "protocol");
        if (pn != null) {
            String text = f.string(pn, LocatedFields.child(path, "protocol"));
            protocol = Protocol.parse(text).orElseThrow(() -> f.error(pn, LocatedFields.child(path, "protocol"),
                    "unknown protocol '" + text + "'; known: TCP, UDP, ICMP, ANY"));
        }
        int port = 0;
        LocatedNode portNode = LocatedFields.optional(m, "port");
        if (portNode != null) {
            port = (int) f.integer(portNode, LocatedFields.child(path, "port"), 0, 65535);
            if (protocol == Protocol.ICMP && port != 0) {
                throw f.error(portNode, LocatedFields.child(path, "port"), "ICMP has no ports; leave port out");
            }
        }
        if (dnsNode == null) {
            return new PortRule(port, protocol);
        }
        String dnsPath = LocatedFields.child(path, "dns");
        if (port != PortRule.DNS_PORT || (protocol != Protocol.UDP && protocol != Protocol.ANY)) {
            throw f.error(dnsNode, dnsPath, "DNS rules on queries apply to port 53 with protocol UDP or ANY"
                    + " (this port: " + port + " " + protocol.name() + "); TCP queries of an endpoint with DNS rules"
                    + " are dropped");
        }
        List<FqdnSelector> names = f.each(f.sequence(dnsNode, dnsPath).items(), dnsPath, (n, p) -> {
            FqdnSelector s = fqdn(n, p);
            try {
                DnsQueryNames.check(s);
            } catch (IllegalArgumentException e) {
                throw f.error(n, LocatedFields.child(p, "matchPattern"), e.getMessage());
            }
            return s;
        });
        return new PortRule(port, protocol, names);
    }
}
