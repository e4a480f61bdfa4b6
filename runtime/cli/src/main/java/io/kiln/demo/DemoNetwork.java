package io.kiln.demo;

import io.kiln.host.Netns;
import io.kiln.lab.NetworkNamespace;
import io.kiln.lab.VethPair;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;

/**
 * A node made of network namespaces, as the demo and the agent's fault tests need one: a "node"
 * namespace holding the host side of every endpoint's veth (where the agent attaches), and one
 * namespace per endpoint with its side named {@code eth0}, its address in 198.18.0.0/24 and a
 * default route via {@link #GATEWAY}. IPv6 is off everywhere, so the only packets are the ones
 * sent on purpose (and ARP). {@link #close()} deletes every namespace, and with them the veths
 * and every hook on them; a half-made network is deleted before {@link #create} throws.
 */
public final class DemoNetwork implements AutoCloseable {
    /** The endpoints' default gateway; nothing holds it, the endpoint template's ARP responder answers for it. */
    public static final String GATEWAY = "198.18.0.1";

    private final NetworkNamespace node;
    private final List<NetworkNamespace> namespaces = new ArrayList<>();
    private final Map<String, Seat> seats = new LinkedHashMap<>();

    /**
     * One endpoint's place on the node.
     *
     * @param name      short name: the namespace prefix and the host veth's suffix ({@code lxc-NAME})
     * @param id        the endpoint id its spec will use
     * @param ipv4      its address (in 198.18.0.0/24)
     * @param mac       the MAC of its {@code eth0}
     * @param hostIf    the host side of its veth, in the node namespace
     * @param namespace its own namespace, null until created
     */
    public record Seat(String name, int id, String ipv4, String mac, String hostIf, NetworkNamespace namespace) {
        public Seat {
            Objects.requireNonNull(name, "name");
            VethPair.checkTestAddress(ipv4 + "/32");
        }

        /** The seat of endpoint {@code id} named {@code name}: 198.18.0.{id}, MAC 02:00:00:00:00:{id}, host veth lxc-NAME. */
        public static Seat of(String name, int id) {
            if (id < 2 || id > 254) {
                throw new IllegalArgumentException("seat id " + id + ": 2..254 (its address is 198.18.0.<id>)");
            }
            return new Seat(name, id, "198.18.0." + id, String.format("02:00:00:00:00:%02x", id), "lxc-" + name, null);
        }

        /** The endpoint's own namespace, as the runtime names it. */
        public Netns netns() {
            return namespace.netns();
        }

        Seat in(NetworkNamespace ns) {
            return new Seat(name, id, ipv4, mac, hostIf, ns);
        }
    }

    private DemoNetwork(NetworkNamespace node) {
        this.node = node;
        namespaces.add(node);
    }

    /**
     * Creates the node namespace ({@code kiln-PREFIX-node-xxxxxx}) and one namespace per seat
     * ({@code kiln-PREFIX-NAME-xxxxxx}) joined to it by a veth.
     */
    public static DemoNetwork create(String prefix, List<Seat> wanted) {
        DemoNetwork n = new DemoNetwork(withoutIpv6(NetworkNamespace.create(prefix + "-node")));
        try {
            for (Seat s : wanted) {
                n.add(prefix, s);
            }
            return n;
        } catch (RuntimeException e) {
            try {
                n.close();
            } catch (RuntimeException cleanup) {
                e.addSuppressed(cleanup);
            }
            throw e;
        }
    }

    private void add(String prefix, Seat s) {
        if (seats.containsKey(s.name())) {
            throw new IllegalArgumentException("two seats named " + s.name());
        }
        NetworkNamespace ns = NetworkNamespace.create(prefix + "-" + s.name());
        namespaces.add(ns);
        withoutIpv6(ns);
        VethPair pair = VethPair.create(node, s.hostIf(), ns, "eth0");
        ns.ip("link", "set", "eth0", "address", s.mac());
        pair.b().addAddress(s.ipv4() + "/24");
        ns.ip("route", "add", "default", "via", GATEWAY, "dev", "eth0");
        seats.put(s.name(), s.in(ns));
    }

    /** IPv6 off, so that no router solicitation or DAD packet shows up in the counters. */
    private static NetworkNamespace withoutIpv6(NetworkNamespace ns) {
        try {
            // /proc/sys/net shows the namespace of the thread that opens it
            ns.run(() -> {
                for (String scope : new String[] {"all", "default"}) {
                    Files.writeString(Path.of("/proc/sys/net/ipv6/conf/" + scope + "/disable_ipv6"), "1");
                }
            });
        } catch (Exception e) {
            ns.close();
            throw new IllegalStateException(ns + ": cannot turn IPv6 off: " + e, e);
        }
        return ns;
    }

    /** The namespace holding the host side of every veth. */
    public NetworkNamespace node() {
        return node;
    }

    public Seat seat(String name) {
        Seat s = seats.get(name);
        if (s == null) {
            throw new IllegalArgumentException("no seat " + name + " (seats: " + seats.keySet() + ")");
        }
        return s;
    }

    public List<Seat> seats() {
        return List.copyOf(seats.values());
    }

    /** Every namespace's name, the node's first. */
    public List<String> namespaceNames() {
        return Collections.unmodifiableList(namespaces.stream().map(NetworkNamespace::name).toList());
    }

    /** Deletes every namespace (endpoints first, the node last); goes on past a failure and throws the first. */
    @Override
    public void close() {
        RuntimeException failure = null;
        for (int i = namespaces.size() - 1; i >= 0; i--) {
            try {
                namespaces.get(i).close();
            } catch (RuntimeException e) {
                if (failure == null) {
                    failure = e;
                } else {
                    failure.addSuppressed(e);
                }
            }
        }
        if (failure != null) {
            throw failure;
        }
    }
}
