package io.kiln.dataplane;

import io.kiln.templates.EndpointValues;

import io.kiln.bpf.BpfFs;
import io.kiln.bpf.BpfMap;
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
 * veth, and one namespace per endpoint. Programs are attached with tcx links at each host-side veth
 * and share the node maps through pins under a test root in bpffs. With {@code configSource=node}
 * the node loads ONE tier-0 program set and attaches it to every endpoint, each endpoint's own
 * policy and metrics maps pinned under {@code endpoints/ID/} and registered in tier 0 as
 * io.kiln.runtime.Tier0 does it; {@link #specialize} then swaps an endpoint to its own tier-1
 * programs by link update, reusing those maps. IPv6 is off everywhere, so the only packets are the
 * ones the test sends (and ARP); with the build parameter ipv6=true it is on in each endpoint's eth0
 * (address {@link #ipv6Of}, default route via {@link #GATEWAY6}), so neighbour discovery, router
 * solicitations and MLD reports go out too. {@link #close()} removes links, programs, pins and namespaces,
 * also after a failure half-way through {@link #create}.
 */
final class TrafficNode implements AutoCloseable {
    static final String GATEWAY = "198.18.0.1";
    static final String OBJECT_NAME = "ktraffic";
    /** With ipv6=true: each endpoint's default route; only the ND responder answers for it. */
    static final String GATEWAY6 = "fe80::1";

    /** Endpoint {@code i}'s IPv6 address, 2001:2::(10+i), in the endpoints' /64. */
    static String ipv6Of(int i) {
        return "2001:2::" + Integer.toHexString(10 + i);
    }

    private static boolean hasIpv6(Object... parameters) {
        for (int i = 0; i < parameters.length; i += 2) {
            if ("ipv6".equals(parameters[i]) && Boolean.TRUE.equals(parameters[i + 1])) {
                return true;
            }
        }
        return false;
    }

    /** Maps each endpoint has for itself, which tier 0 reaches through maps of maps. */
    static final List<String> INNER_MAPS = List.of("policy", "metrics");

    /**
     * One endpoint: its namespace (interface eth0), the programs on its hooks (shared ones on tier 0)
     * and, on tier 0, its own maps.
     */
    record Ep(EndpointValues values, NetworkNamespace ns, TemplateUnderTest programs, java.util.Map<String, TestMap> own) {
        String ip() {
            return values.ipv4();
        }

        /** The endpoint's own map where it has one, else the one its programs use (node maps). */
        TestMap map(String name) {
            TestMap m = own.get(name);
            return m != null ? m : programs.map(name);
        }
    }

    private final Path pinRoot;
    private final NetworkNamespace node;
    private final List<NetworkNamespace> namespaces = new ArrayList<>();
    private final List<Ep> endpoints = new ArrayList<>();
    private final List<BpfLink> links = new ArrayList<>();
    private final java.util.Map<Integer, BpfLink[]> hooks = new java.util.HashMap<>();
    private final List<TemplateUnderTest> loaded = new ArrayList<>();
    private final List<java.io.Closeable> ownMaps = new ArrayList<>();
    private Object[] buildParameters;
    private boolean ipv6;
    private TemplateUnderTest tier0;

    private TrafficNode() {
        this.pinRoot = BpfFs.DEFAULT.resolve(String.format("kiln-test-%06x", new SecureRandom().nextInt(1 << 24)));
        this.node = namespace("node");
    }

    /** A node with {@code count} endpoints 198.18.0.11, .12, ... (identities 1001, 1002, ...). */
    static TrafficNode create(int count, Object... buildParameters) throws Exception {
        TrafficNode n = new TrafficNode();
        n.buildParameters = buildParameters;
        n.ipv6 = hasIpv6(buildParameters);
        try {
            Files.createDirectories(n.pinRoot.resolve("node"));
            if (Fixture.isTier0(buildParameters)) {
                n.tier0 = n.load(null, buildParameters);
            }
            for (int i = 1; i <= count; i++) {
                n.addEndpoint(i, buildParameters);
            }
            TestMap endpointsMap = n.endpoints.get(0).map("endpoints");
            TestMap ipcache = n.endpoints.get(0).map("ipcache");
            for (Ep e : n.endpoints) {
                endpointsMap.put(EndpointMaps.endpointKey(e.ip()),
                        EndpointMaps.endpointInfo(e.values().ifindex(), e.values().mac(), e.values().id()));
                ipcache.put(EndpointMaps.lpmKey(e.ip() + "/32"), EndpointMaps.identityValue(e.values().identity()));
                if (n.ipv6) {
                    n.endpoints.get(0).map("endpoints6").put(EndpointMaps.endpointKey(e.values().ipv6()),
                            EndpointMaps.endpointInfo(e.values().ifindex(), e.values().mac(), e.values().id()));
                    n.endpoints.get(0).map("ipcache6").put(EndpointMaps.lpmKey(e.values().ipv6() + "/128"),
                            EndpointMaps.identityValue(e.values().identity()));
                }
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
        if (ipv6) {
            // the endpoint's eth0 only: its own /64 address, no duplicate-address detection (nothing
            // else is on the link), and the gateway a link-local address only the ND responder knows
            ns.run(() -> {
                Files.writeString(Path.of("/proc/sys/net/ipv6/conf/eth0/accept_dad"), "0");
                Files.writeString(Path.of("/proc/sys/net/ipv6/conf/eth0/disable_ipv6"), "0");
            });
            ns.ip("-6", "addr", "add", ipv6Of(i) + "/64", "dev", "eth0", "nodad");
            ns.ip("-6", "route", "add", "default", "via", GATEWAY6, "dev", "eth0");
        }
        int ifindex = node.ifindex(host);
        EndpointValues values = new EndpointValues(i, 1000 + i, ip, ipv6Of(i), mac, hostMac, ifindex, GATEWAY);

        Ep ep;
        if (tier0 != null) {
            java.util.Map<String, TestMap> own = new java.util.LinkedHashMap<>();
            for (String name : INNER_MAPS) {
                BpfMap m = BpfMap.create(name, tier0.map(name).bpf().definition());
                ownMaps.add(m::close);
                Path pin = pinRoot.resolve("endpoints").resolve(Integer.toString(i)).resolve(name);
                Files.createDirectories(pin.getParent());
                m.pin(pin);
                own.put(name, TestMap.of(m));
            }
            Fixture.register(tier0, values, own.get("policy").bpf(), own.get("metrics").bpf());
            ep = new Ep(values, ns, tier0, own);
        } else {
            ep = new Ep(values, ns, load(values, buildParameters), java.util.Map.of());
        }
        endpoints.add(ep);
        TemplateUnderTest programs = ep.programs();
        // tcx attaches to an ifindex of the calling thread's namespace: attach from inside the node namespace
        node.run(() -> {
            BpfLink from = programs.program("from_endpoint").attachTcx(ifindex, Direction.INGRESS);
            links.add(from);
            BpfLink to = programs.program("to_endpoint").attachTcx(ifindex, Direction.EGRESS);
            links.add(to);
            hooks.put(i, new BpfLink[] {from, to});
        });
    }

    /**
     * Loads a variant with the node maps pinned; for an endpoint ({@code values} not null) also its
     * per-endpoint maps, reused from {@code endpoints/ID/} where tier 0 registration pinned them.
     */
    private TemplateUnderTest load(EndpointValues values, Object... parameters) {
        TemplateUnderTest.Builder b = Fixture.endpoint(parameters).objectName(OBJECT_NAME)
                .beforeLoad(o -> {
                    for (MapDecl m : io.kiln.template.Templates.load(Fixture.ENDPOINT).maps()) {
                        if (m.scope() == MapScope.NODE) {
                            o.map(m.name()).setPinPath(pinRoot.resolve("node").resolve(m.name()));
                        } else if (values != null) {
                            Path pin = pinRoot.resolve("endpoints").resolve(Integer.toString(values.id())).resolve(m.name());
                            if (Files.exists(pin)) {
                                o.map(m.name()).reusePinned(pin);
                            }
                        }
                    }
                });
        if (values != null) {
            b.constants(values.constants());
        }
        TemplateUnderTest t = b.load();
        loaded.add(t);
        return t;
    }

    /**
     * Tier 0 to tier 1 for endpoint {@code i}: loads its own programs (configSource=constants, the
     * other build parameters as the node's; its policy and metrics maps are the ones tier 0 used),
     * then updates its two links to them, each an atomic swap. Returns the nanoseconds the two link
     * updates took.
     */
    long specialize(int i) throws Exception {
        Ep ep = endpoint(i);
        Object[] params = java.util.Arrays.copyOf(buildParameters, buildParameters.length);
        for (int k = 0; k < params.length; k += 2) {
            if ("configSource".equals(params[k])) {
                params[k + 1] = "constants";
            }
        }
        TemplateUnderTest own = load(ep.values(), params);
        BpfLink[] links = hooks.get(i);
        long start = System.nanoTime();
        links[0].update(own.program("from_endpoint"));
        links[1].update(own.program("to_endpoint"));
        long took = System.nanoTime() - start;
        endpoints.set(i - 1, new Ep(ep.values(), ep.ns(), own, ep.own()));
        return took;
    }

    Ep endpoint(int i) {
        return endpoints.get(i - 1);
    }

    List<Integer> programIds() {
        List<Integer> ids = new ArrayList<>();
        loaded.forEach(t -> ids.addAll(t.programIds()));
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
        loaded.forEach(TemplateUnderTest::close);
        for (java.io.Closeable m : ownMaps) {
            try {
                m.close();
            } catch (IOException | RuntimeException e) {
                failure = failure == null ? new IllegalStateException(e) : failure;
            }
        }
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
