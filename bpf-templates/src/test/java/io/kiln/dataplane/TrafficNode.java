package io.kiln.dataplane;

import io.kiln.templates.EndpointValues;

import io.kiln.bpf.BpfFs;
import io.kiln.bpf.BpfLink;
import io.kiln.bpf.Direction;
import io.kiln.template.MapDecl;
import io.kiln.template.MapScope;
import io.kiln.lab.NetworkNamespace;
import io.kiln.testing.TemplateUnderTest;
import io.kiln.testing.TestMap;
import io.kiln.lab.VethPair;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.SecureRandom;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.stream.Stream;

/**
 * A node made of network namespaces: a "node" namespace holding the host side of each endpoint's
 * veth, and one namespace per endpoint. Each endpoint's programs are attached with tcx links at its
 * host-side veth and share the node maps through pins under a test root in bpffs. IPv6 is off
 * everywhere, so the only packets are the ones the test sends (and ARP). {@link #close()} removes
 * links, programs, pins and namespaces, also after a failure half-way through {@link #create}.
 */
final class TrafficNode implements AutoCloseable {
    static final String GATEWAY = "198.18.0.1";
    static final String OBJECT_NAME = "ktraffic";

    /** One endpoint: its namespace (interface eth0) and its loaded programs. */
    record Ep(EndpointValues values, NetworkNamespace ns, TemplateUnderTest programs) {
        String ip() {
            return values.ipv4();
        }

        TestMap map(String name) {
            return programs.map(name);
        }
    }

    private final Path pinRoot;
    private final NetworkNamespace node;
    private final List<NetworkNamespace> namespaces = new ArrayList<>();
    private final List<Ep> endpoints = new ArrayList<>();
    private final List<BpfLink> links = new ArrayList<>();

    private TrafficNode() {
        this.pinRoot = BpfFs.DEFAULT.resolve(String.format("kiln-test-%06x", new SecureRandom().nextInt(1 << 24)));
        this.node = namespace("node");
    }

    /** A node with {@code count} endpoints 198.18.0.11, .12, ... (identities 1001, 1002, ...). */
    static TrafficNode create(int count, Object... buildParameters) throws Exception {
        TrafficNode n = new TrafficNode();
        try {
            Files.createDirectories(n.pinRoot.resolve("node"));
            for (int i = 1; i <= count; i++) {
                n.addEndpoint(i, buildParameters);
            }
            TestMap endpointsMap = n.endpoints.get(0).map("endpoints");
            TestMap ipcache = n.endpoints.get(0).map("ipcache");
            for (Ep e : n.endpoints) {
                endpointsMap.put(EndpointMaps.endpointKey(e.ip()),
                        EndpointMaps.endpointInfo(e.values().ifindex(), e.values().mac(), e.values().id()));
                ipcache.put(EndpointMaps.lpmKey(e.ip() + "/32"), EndpointMaps.identityValue(e.values().identity()));
            }
            return n;
        } catch (Exception | Error e) {
            n.close();
            throw e;
        }
    }

    private NetworkNamespace namespace(String prefix) {
        NetworkNamespace ns = NetworkNamespace.create(prefix);
        namespaces.add(ns);
        try {
            // /proc/sys/net shows the namespace of the thread that opens it
            ns.run(() -> {
                for (String scope : new String[] {"all", "default"}) {
                    Files.writeString(Path.of("/proc/sys/net/ipv6/conf/" + scope + "/disable_ipv6"), "1");
                }
            });
        } catch (Exception e) {
            throw new IllegalStateException(ns + ": cannot turn IPv6 off: " + e, e);
        }
        String off = ns.exec(List.of("cat", "/proc/sys/net/ipv6/conf/default/disable_ipv6")).orThrow().stdout().strip();
        if (!off.equals("1")) {
            throw new IllegalStateException(ns + ": IPv6 is still on (disable_ipv6 reads " + off + ")");
        }
        return ns;
    }

    private void addEndpoint(int i, Object... buildParameters) throws Exception {
        NetworkNamespace ns = namespace("ep" + i);
        String host = "lxc" + i;
        VethPair pair = VethPair.create(node, host, ns, "eth0");
        String mac = String.format("02:00:00:00:01:%02x", i);
        String hostMac = String.format("02:00:00:00:02:%02x", i);
        node.ip("link", "set", host, "address", hostMac);
        ns.ip("link", "set", "eth0", "address", mac);
        String ip = "198.18.0." + (10 + i);
        pair.b().addAddress(ip + "/24");
        ns.ip("route", "add", "default", "via", GATEWAY, "dev", "eth0");
        int ifindex = node.ifindex(host);
        EndpointValues values = new EndpointValues(i, 1000 + i, ip, "2001:2::" + Integer.toHexString(10 + i), mac, hostMac, ifindex, GATEWAY);

        TemplateUnderTest.Builder b = Fixture.endpoint(buildParameters).constants(values.constants()).objectName(OBJECT_NAME)
                .beforeLoad(o -> {
                    for (MapDecl m : io.kiln.template.Templates.load(Fixture.ENDPOINT).maps()) {
                        if (m.scope() == MapScope.NODE) {
                            o.map(m.name()).setPinPath(pinRoot.resolve("node").resolve(m.name()));
                        }
                    }
                });
        TemplateUnderTest programs = b.load();
        endpoints.add(new Ep(values, ns, programs));
        programs.map("endpoint_config").put(EndpointMaps.configKey(), EndpointMaps.endpointConfig(values));
        // tcx attaches to an ifindex of the calling thread's namespace: attach from inside the node namespace
        node.run(() -> {
            links.add(programs.program("from_endpoint").attachTcx(ifindex, Direction.INGRESS));
            links.add(programs.program("to_endpoint").attachTcx(ifindex, Direction.EGRESS));
        });
    }

    Ep endpoint(int i) {
        return endpoints.get(i - 1);
    }

    List<Integer> programIds() {
        List<Integer> ids = new ArrayList<>();
        endpoints.forEach(e -> ids.addAll(e.programs().programIds()));
        return ids;
    }

    Path pinRoot() {
        return pinRoot;
    }

    @Override
    public void close() {
        RuntimeException failure = null;
        for (BpfLink l : links) {
            try {
                l.close();
            } catch (RuntimeException e) {
                failure = failure == null ? e : failure;
            }
        }
        endpoints.forEach(e -> e.programs().close());
        for (NetworkNamespace ns : namespaces) {
            try {
                ns.close();
            } catch (RuntimeException e) {
                failure = failure == null ? e : failure;
            }
        }
        try (Stream<Path> walk = Files.exists(pinRoot) ? Files.walk(pinRoot) : Stream.empty()) {
            for (Path p : walk.sorted(Comparator.reverseOrder()).toList()) {
                Files.deleteIfExists(p);
            }
        } catch (IOException e) {
            failure = failure == null ? new UncheckedIOException(e) : failure;
        }
        if (failure != null) {
            throw failure;
        }
    }
}
