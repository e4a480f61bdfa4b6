package io.kiln.agent.spec.internal;

import io.kiln.agent.spec.Origin;
import io.kiln.agent.spec.SpecException;
import io.kiln.agent.spec.AddressLiterals;
import io.kiln.agent.spec.Protocol;
import io.kiln.agent.spec.ServiceBackend;
import io.kiln.agent.spec.ServiceSpec;
import io.kiln.yaml.LocatedFields;
import io.kiln.yaml.LocatedNode;

import java.net.InetAddress;
import java.util.List;

/** Reads a service spec; like {@link PolicyReader}, from a document or a Kubernetes object's {@code spec}. */
public final class ServiceReader {
    public static final List<String> FIELDS = List.of("name", "vip", "port", "protocol", "backends");

    private final String source;
    private final LocatedFields<SpecException> f;

    public ServiceReader(String source) {
        this.source = source;
        this.f = new LocatedFields<>((line, column, field, reason) -> new SpecException(source, line, column, field, reason));
    }

    public ServiceSpec read(LocatedNode root) {
        LocatedNode.Mapping top = f.mapping(root, "");
        f.allowOnly(top, "", FIELDS, "a service");
        return readAt(top, "", PolicyReader.name(f, top));
    }

    public ServiceSpec readKubernetes(LocatedNode spec, String name) {
        LocatedNode.Mapping top = f.mapping(spec, "spec");
        f.allowOnly(top, "spec", FIELDS.subList(1, FIELDS.size()), "a KilnService spec");
        return readAt(top, "spec", name);
    }

    private ServiceSpec readAt(LocatedNode.Mapping top, String at, String name) {
        String vipPath = LocatedFields.child(at, "vip");
        LocatedNode vipNode = f.required(top, at, "vip");
        InetAddress vip = address(vipNode, vipPath);
        int port = (int) f.integer(f.required(top, at, "port"), LocatedFields.child(at, "port"), 1, 65535);
        Protocol protocol = Protocol.TCP;
        LocatedNode pn = LocatedFields.optional(top, "protocol");
        if (pn != null) {
            String path = LocatedFields.child(at, "protocol");
            String text = f.string(pn, path);
            protocol = Protocol.parse(text).filter(p -> p == Protocol.TCP || p == Protocol.UDP)
                    .orElseThrow(() -> f.error(pn, path, "expected TCP or UDP, got '" + text + "'"));
        }
        String bPath = LocatedFields.child(at, "backends");
        List<ServiceBackend> backends = f.each(f.optionalList(top, at, "backends"), bPath, (n, p) -> {
            LocatedNode.Mapping m = f.mapping(n, p);
            f.allowOnly(m, p, List.of("address", "port"), "a backend");
            LocatedNode an = f.required(m, p, "address");
            InetAddress a = address(an, LocatedFields.child(p, "address"));
            if (a.getAddress().length != vip.getAddress().length) {
                throw f.error(an, LocatedFields.child(p, "address"), "the backend's address family differs from the vip's");
            }
            int bport = (int) f.integer(f.required(m, p, "port"), LocatedFields.child(p, "port"), 1, 65535);
            return new ServiceBackend(a, bport);
        });
        for (int i = 0; i < backends.size(); i++) {
            if (backends.subList(0, i).contains(backends.get(i))) {
                throw f.error(f.optionalList(top, at, "backends").get(i), LocatedFields.item(bPath, i), "duplicate backend "
                        + AddressLiterals.format(backends.get(i).address()) + ":" + backends.get(i).port());
            }
        }
        return new ServiceSpec(name, vip, port, protocol, backends, new Origin(source, LocatedFields.lines(top)));
    }

    private InetAddress address(LocatedNode node, String path) {
        InetAddress a = AddressLiterals.any(f.string(node, path));
        if (a == null || a.isAnyLocalAddress() || a.isMulticastAddress()) {
            throw f.error(node, path, "expected a unicast IPv4 or IPv6 address, got " + LocatedNode.describe(node));
        }
        return a;
    }
}
