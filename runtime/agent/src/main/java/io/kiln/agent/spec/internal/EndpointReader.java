package io.kiln.agent.spec.internal;

import io.kiln.Excerpt;
import io.kiln.host.Interfaces;

import io.kiln.agent.spec.SpecException;
import io.kiln.agent.identity.Identities;
import io.kiln.agent.spec.AddressLiterals;
import io.kiln.agent.spec.ChainEntry;
import io.kiln.agent.spec.EndpointAddresses;
import io.kiln.agent.spec.EndpointSpec;
import io.kiln.agent.spec.Labels;
import io.kiln.agent.spec.Origin;
import io.kiln.yaml.LocatedFields;
import io.kiln.yaml.LocatedNode;

import java.net.Inet4Address;
import java.net.Inet6Address;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.regex.Pattern;

/** Reads an endpoint spec from its tree; the first problem, in document order, is thrown. */
public final class EndpointReader {
    public static final List<String> FIELDS = List.of("id", "interface", "template", "build", "constants", "addresses",
            "mac", "labels", "identity", "namespace", "chain");
    private static final List<String> CHAIN_FIELDS = List.of("template", "build", "constants");
    private static final Pattern NETNS = Pattern.compile("[A-Za-z0-9_.-]{1,255}");

    private final String source;
    private final LocatedFields<SpecException> f;

    public EndpointReader(String source) {
        this.source = source;
        this.f = new LocatedFields<>((line, column, field, reason) -> new SpecException(source, line, column, field, reason));
    }

    public EndpointSpec read(LocatedNode root) {
        LocatedNode.Mapping top = f.mapping(root, "");
        f.allowOnly(top, "", FIELDS, "an endpoint");
        int id = (int) f.integer(f.required(top, "", "id"), "id", 1, EndpointSpec.MAX_ID);
        LocatedNode ifNode = f.required(top, "", "interface");
        String iface = f.string(ifNode, "interface");
        String problem = Interfaces.nameProblem(iface);
        if (problem != null) {
            throw f.error(ifNode, "interface", "'" + Excerpt.of(iface) + "' is not an interface name: " + problem);
        }
        LocatedNode tNode = f.required(top, "", "template");
        String template = f.string(tNode, "template");
        if (template.isBlank()) {
            throw f.error(tNode, "template", "the template name is empty");
        }
        Map<String, Object> build = f.scalarMap(top, "", "build");
        Map<String, Object> constants = constants(top, "");
        EndpointAddresses addresses = addresses(f.mapping(f.required(top, "", "addresses"), "addresses"));
        String mac = null;
        LocatedNode macNode = LocatedFields.optional(top, "mac");
        if (macNode != null) {
            mac = mac(macNode);
        }
        Labels labels = labels(f, f.optionalMapping(top, "", "labels"), "labels");
        Integer identity = null;
        LocatedNode idNode = LocatedFields.optional(top, "identity");
        if (idNode != null) {
            identity = (int) f.integer(idNode, "identity", Identities.MIN_LABEL, Identities.MAX_LABEL);
        }
        String namespace = null;
        LocatedNode nsNode = LocatedFields.optional(top, "namespace");
        if (nsNode != null) {
            namespace = f.string(nsNode, "namespace");
            if (!NETNS.matcher(namespace).matches() || namespace.equals(".") || namespace.equals("..")) {
                throw f.error(nsNode, "namespace", "'" + namespace + "' is not a network namespace name");
            }
        }
        List<ChainEntry> chain = f.each(f.optionalList(top, "", "chain"), "chain", this::chainEntry);
        if (chain.size() > EndpointSpec.MAX_CHAIN) {
            throw f.error(top.entries().get("chain"), "chain", chain.size() + " templates; a chain holds at most "
                    + EndpointSpec.MAX_CHAIN);
        }
        Origin origin = new Origin(source, LocatedFields.lines(root));
        return new EndpointSpec(id, iface, template, new TreeMap<>(build), new TreeMap<>(constants), addresses, mac,
                labels, identity, namespace, chain, origin);
    }

    /** {@code constants:} under {@code parent}; the agent's own (ENDPOINT_ID ...) may not be set. */
    private Map<String, Object> constants(LocatedNode.Mapping parent, String path) {
        Map<String, Object> constants = f.scalarMap(parent, path, "constants");
        String at = LocatedFields.child(path, "constants");
        for (LocatedNode.Entry e : f.optionalMapping(parent, path, "constants").entries().values()) {
            String from = EndpointSpec.DERIVED_CONSTANTS.get(e.key());
            if (from != null) {
                throw f.error(e, LocatedFields.child(at, e.key()), "set by the agent from the endpoint's " + from
                        + "; do not set it here");
            }
        }
        return constants;
    }

    /** One item of {@code chain:}: {@code {template: NAME, build: {...}, constants: {...}}}. */
    private ChainEntry chainEntry(LocatedNode node, String path) {
        LocatedNode.Mapping m = f.mapping(node, path);
        f.allowOnly(m, path, CHAIN_FIELDS, "a chain entry");
        LocatedNode tNode = f.required(m, path, "template");
        String template = f.string(tNode, LocatedFields.child(path, "template"));
        if (template.isBlank()) {
            throw f.error(tNode, LocatedFields.child(path, "template"), "the template name is empty");
        }
        return new ChainEntry(template, new TreeMap<>(f.scalarMap(m, path, "build")), new TreeMap<>(constants(m, path)));
    }

    private EndpointAddresses addresses(LocatedNode.Mapping m) {
        f.allowOnly(m, "addresses", List.of("ipv4", "ipv6"), "addresses");
        LocatedNode v4 = f.required(m, "addresses", "ipv4");
        Inet4Address ipv4 = AddressLiterals.ipv4(f.string(v4, "addresses.ipv4"));
        if (ipv4 == null || ipv4.isAnyLocalAddress() || ipv4.isMulticastAddress()) {
            throw f.error(v4, "addresses.ipv4", "expected an IPv4 unicast address like 198.18.0.12, got "
                    + LocatedNode.describe(v4));
        }
        Inet6Address ipv6 = null;
        LocatedNode v6 = LocatedFields.optional(m, "ipv6");
        if (v6 != null) {
            ipv6 = AddressLiterals.ipv6(f.string(v6, "addresses.ipv6"));
            if (ipv6 == null || ipv6.isAnyLocalAddress() || ipv6.isMulticastAddress()) {
                throw f.error(v6, "addresses.ipv6", "expected an IPv6 unicast address like 2001:db8::12, got "
                        + LocatedNode.describe(v6));
            }
        }
        return new EndpointAddresses(ipv4, ipv6);
    }

    private String mac(LocatedNode node) {
        byte[] b = AddressLiterals.mac(f.string(node, "mac"));
        if (b == null) {
            throw f.error(node, "mac", "expected a MAC address like 02:00:00:00:00:0c, got " + LocatedNode.describe(node));
        }
        if ((b[0] & 1) != 0) {
            throw f.error(node, "mac", LocatedNode.describe(node) + " is a multicast address; an endpoint needs a unicast MAC");
        }
        return HexFormat.ofDelimiter(":").formatHex(b);
    }

    /** Labels with Kubernetes' rules for keys and values. */
    public static Labels labels(LocatedFields<SpecException> f, LocatedNode.Mapping m, String path) {
        Map<String, String> raw = f.textMap(m, path);
        for (LocatedNode.Entry e : m.entries().values()) {
            String problem = Labels.problem(e.key(), raw.get(e.key()));
            if (problem != null) {
                throw f.error(e, LocatedFields.child(path, e.key()), problem);
            }
        }
        return Labels.of(raw);
    }
}
