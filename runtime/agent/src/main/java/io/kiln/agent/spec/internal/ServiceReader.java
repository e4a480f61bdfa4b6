package io.kiln.agent.spec.internal;

import io.kiln.agent.spec.Addresses;
import io.kiln.agent.spec.Protocol;
import io.kiln.agent.spec.ServiceBackend;
import io.kiln.agent.spec.ServiceSpec;
import io.kiln.yaml.LocatedNode;

import java.net.InetAddress;
import java.util.List;

/** Reads a service spec; like {@link PolicyReader}, from a document or a Kubernetes object's {@code spec}. */
public final class ServiceReader {
    public static final List<String> FIELDS = List.of("name", "vip", "port", "protocol", "backends");

    private final Fields f;

    public ServiceReader(Fields f) {
        this.f = f;
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
        String vipPath = Fields.child(at, "vip");
        LocatedNode vipNode = f.required(top, at, "vip");
        InetAddress vip = address(vipNode, vipPath);
        int port = (int) f.integer(f.required(top, at, "port"), Fields.child(at, "port"), 1, 65535);
        Protocol protocol = Protocol.TCP;
        LocatedNode pn = Fields.optional(top, "protocol");
        if (pn != null) {
            String path = Fields.child(at, "protocol");
            String text = f.string(pn, path);
            protocol = Protocol.parse(text).filter(p -> p == Protocol.TCP || p == Protocol.UDP)
                    .orElseThrow(() -> f.error(pn, path, "expected TCP or UDP, got '" + text + "'"));
        }
        String bPath = Fields.child(at, "backends");
        List<ServiceBackend> backends = f.each(f.optionalList(top, at, "backends"), bPath, (n, p) -> {
            LocatedNode.Mapping m = f.mapping(n, p);
            f.allowOnly(m, p, List.of("address", "port"), "a backend");
            LocatedNode an = f.required(m, p, "address");
            InetAddress a = address(an, Fields.child(p, "address"));
            if (a.getAddress().length != vip.getAddress().length) {
                throw f.error(an, Fields.child(p, "address"), "the backend's address family differs from the vip's");
            }
            int bport = (int) f.integer(f.required(m, p, "port"), Fields.child(p, "port"), 1, 65535);
            return new ServiceBackend(a, bport);
        });
        for (int i = 0; i < backends.size(); i++) {
            if (backends.subList(0, i).contains(backends.get(i))) {
                throw f.error(f.optionalList(top, at, "backends").get(i), Fields.item(bPath, i), "duplicate backend "
                        + Addresses.format(backends.get(i).address()) + ":" + backends.get(i).port());
            }
        }
        return new ServiceSpec(name, vip, port, protocol, backends, f.origin(top));
    }

    private InetAddress address(LocatedNode node, String path) {
        InetAddress a = Addresses.any(f.string(node, path));
        if (a == null || a.isAnyLocalAddress() || a.isMulticastAddress()) {
            throw f.error(node, path, "expected a unicast IPv4 or IPv6 address, got " + LocatedNode.describe(node));
        }
        return a;
    }
}
