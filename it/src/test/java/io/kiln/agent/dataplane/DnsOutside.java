package io.kiln.agent.dataplane;

import io.kiln.lab.Command;
import io.kiln.lab.NetworkNamespace;
import io.kiln.lab.VethPair;

import java.io.IOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.net.SocketTimeoutException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;

/**
 * The "outside" of the DNS kernel tests: a namespace of the test's own behind the node namespace's
 * {@code ext0} (node {@value #NODE}/24, outside {@value #OUTSIDE}/24 on its {@code eth0}), routed
 * to the endpoints' 198.18.0.0/24 through the node, with dnsmasq serving the zone the test gives
 * it, and optionally a TCP listener that writes {@code 'k'} to each connection. Built with
 * {@link #builder}; {@link Builder#start} returns once dnsmasq answers the questions named with
 * {@link Builder#awaitAnswer}. {@link #close()} stops the listener, whatever the test handed to
 * {@link #closeWith}, dnsmasq, and deletes the namespace (and with it the veth).
 *
 * <p>dnsmasq's files go into the test's temp folder: {@code dnsmasq.pid}, {@code dnsmasq.log}
 * (its log: {@link #log()}) and {@code dnsmasq.out} (what it printed, shown when it does not answer).
 */
final class DnsOutside implements AutoCloseable {
    /** The node's address on ext0. */
    static final String NODE = "198.18.1.1";
    /** The outside's own address on eth0. */
    static final String OUTSIDE = "198.18.1.2";
    private static final String NODE6 = "2001:db8:ff::1";
    private static final String OUTSIDE6 = "2001:db8:ff::2";

    final NetworkNamespace ns;
    private final Path tmp;
    private final List<AutoCloseable> closeables = new ArrayList<>();
    private Process dnsmasq;

    /**
     * @param prefix the namespace's name prefix
     * @param tmp    the test's temp folder, for dnsmasq's files
     */
    static Builder builder(String prefix, Path tmp) {
        return new Builder(prefix, tmp);
    }

    /** What the outside holds; every address in 198.18.0.0/15 or 2001:db8::/32. */
    static final class Builder {
        private final String prefix;
        private final Path tmp;
        private final List<String> resolvers = new ArrayList<>();
        private final List<String> addresses = new ArrayList<>();
        private final List<String> routed = new ArrayList<>();
        private final List<int[]> endpoints = new ArrayList<>();
        private final List<String[]> endpoints6 = new ArrayList<>();
        private final List<String> options = new ArrayList<>();
        private final List<String[]> awaited = new ArrayList<>();
        private boolean ipv6;
        private int listenerPort = -1;
        private boolean keepConnections;

        private Builder(String prefix, Path tmp) {
            this.prefix = prefix;
            this.tmp = tmp;
        }

        /** Where dnsmasq listens (port 53): addresses of the outside's eth0, in this order. */
        Builder resolver(String... as) {
            resolvers.addAll(List.of(as));
            return this;
        }

        /** More addresses of the outside's eth0 (/32, or /128 for IPv6). */
        Builder address(String... as) {
            addresses.addAll(List.of(as));
            return this;
        }

        /** Prefixes the outside owns whole (local on its lo), routed to it from the node. */
        Builder routed(String... prefixes) {
            routed.addAll(List.of(prefixes));
            return this;
        }

        /**
         * IPv6 on the link too ({@value #NODE6}/64 and {@value #OUTSIDE6}/64, no duplicate-address
         * detection: every address usable at once), forwarding on in the node, 2001:db8::/64 (the
         * endpoints') routed through the node.
         */
        Builder ipv6() {
            ipv6 = true;
            return this;
        }

        /** The node routes endpoint {@code id}'s address to its host-side interface with a permanent neighbour. */
        Builder endpoint(int id) {
            endpoints.add(new int[] {id});
            return this;
        }

        /** {@link #endpoint} for the endpoint's IPv6 {@code address} (needs {@link #ipv6()}). */
        Builder endpoint6(int id, String address) {
            endpoints6.add(new String[] {String.valueOf(id), address});
            return this;
        }

        /** dnsmasq's options beyond those every test needs (the zone, --local-ttl, --log-queries...). */
        Builder dnsmasq(String... opts) {
            options.addAll(List.of(opts));
            return this;
        }

        /** A list of dnsmasq options. */
        Builder dnsmasq(List<String> opts) {
            options.addAll(opts);
            return this;
        }

        /**
         * {@link #start} waits until {@code dig +short @server name} answers {@code expected} (AAAA
         * when it is an IPv6 address); waits run in the order given.
         */
        Builder awaitAnswer(String server, String name, String expected) {
            awaited.add(new String[] {server, name, expected});
            return this;
        }

        /**
         * A TCP listener on {@code port} of every address (both families with {@link #ipv6()}) that
         * writes {@code 'k'} to each connection, then closes it, or with {@code keepConnections}
         * keeps it open until {@link DnsOutside#close()} (a client's close then ends it).
         */
        Builder listener(int port, boolean keepConnections) {
            this.listenerPort = port;
            this.keepConnections = keepConnections;
            return this;
        }

        DnsOutside start(AgentLab lab) throws Exception {
            return new DnsOutside(lab, this);
        }
    }

    private DnsOutside(AgentLab lab, Builder b) throws Exception {
        this.tmp = b.tmp;
        ns = NetworkNamespace.create(b.prefix);
        try {
            link(lab, b);
            startDnsmasq(b);
            if (b.listenerPort >= 0) {
                listen(b.listenerPort, b.ipv6, b.keepConnections);
            }
            for (String[] a : b.awaited) {
                AgentLab.eventually("dnsmasq answers " + a[1] + " at " + a[0], () -> a[2].equals(digShort(a[0], a[1], a[2].contains(":"))),
                        this::output);
            }
        } catch (Exception | Error e) {
            try {
                close();
            } catch (Exception | Error suppressed) {
                e.addSuppressed(suppressed);
            }
            throw e;
        }
    }

    private void link(AgentLab lab, Builder b) throws Exception {
        VethPair.create(lab.node, "ext0", ns, "eth0");
        List<String> nodeIfs = new ArrayList<>(List.of("all", "default", "ext0"));
        for (int[] e : b.endpoints) {
            nodeIfs.add(nodeIfs.size() - 1, AgentLab.hostIf(e[0]));
        }
        if (b.ipv6) {
            ns.run(() -> {
                for (String i : List.of("all", "default", "eth0")) {
                    Files.writeString(Path.of("/proc/sys/net/ipv6/conf/" + i + "/accept_dad"), "0");
                    Files.writeString(Path.of("/proc/sys/net/ipv6/conf/" + i + "/disable_ipv6"), "0");
                }
            });
        }
        lab.node.run(() -> { // /proc/sys/net shows the namespace of the thread that opens it
            Files.writeString(Path.of("/proc/sys/net/ipv4/ip_forward"), "1");
            for (String i : nodeIfs) {
                Files.writeString(Path.of("/proc/sys/net/ipv4/conf/" + i + "/rp_filter"), "0");
                if (b.ipv6) { // no duplicate-address detection: every address usable at once
                    Files.writeString(Path.of("/proc/sys/net/ipv6/conf/" + i + "/accept_dad"), "0");
                    Files.writeString(Path.of("/proc/sys/net/ipv6/conf/" + i + "/disable_ipv6"), "0");
                }
            }
            if (b.ipv6) {
                Files.writeString(Path.of("/proc/sys/net/ipv6/conf/all/forwarding"), "1");
            }
        });
        lab.node.ip("addr", "add", NODE + "/24", "dev", "ext0");
        ns.ip("addr", "add", OUTSIDE + "/24", "dev", "eth0");
        if (b.ipv6) {
            lab.node.ip("-6", "addr", "add", NODE6 + "/64", "dev", "ext0", "nodad");
            ns.ip("-6", "addr", "add", OUTSIDE6 + "/64", "dev", "eth0", "nodad");
        }
        List<String> own = new ArrayList<>(b.resolvers);
        own.addAll(b.addresses);
        for (String a : own) {
            if (a.contains(":")) {
                ns.ip("-6", "addr", "add", a + "/128", "dev", "eth0", "nodad");
            } else {
                ns.ip("addr", "add", a + "/32", "dev", "eth0");
            }
        }
        for (String p : b.routed) {
            String family = p.contains(":") ? "-6" : "-4";
            ns.ip(family, "route", "add", "local", p, "dev", "lo");
            lab.node.ip(family, "route", "add", p, "via", p.contains(":") ? OUTSIDE6 : OUTSIDE);
        }
        ns.ip("route", "add", "198.18.0.0/24", "via", NODE);
        if (b.ipv6) {
            ns.ip("-6", "route", "add", "2001:db8::/64", "via", NODE6);
        }
        for (int[] e : b.endpoints) {
            int id = e[0];
            lab.node.ip("route", "add", AgentLab.ip(id) + "/32", "dev", AgentLab.hostIf(id));
            lab.node.ip("neigh", "replace", AgentLab.ip(id), "lladdr", AgentLab.mac(id), "dev", AgentLab.hostIf(id),
                    "nud", "permanent");
        }
        for (String[] e : b.endpoints6) {
            int id = Integer.parseInt(e[0]);
            lab.node.ip("-6", "route", "add", e[1] + "/128", "dev", AgentLab.hostIf(id));
            lab.node.ip("-6", "neigh", "replace", e[1], "lladdr", AgentLab.mac(id), "dev", AgentLab.hostIf(id),
                    "nud", "permanent");
        }
    }

    private void startDnsmasq(Builder b) throws IOException {
        List<String> cmd = new ArrayList<>(List.of("ip", "netns", "exec", ns.name(), "dnsmasq",
                "--keep-in-foreground", "--conf-file=/dev/null", "--no-resolv", "--no-hosts", "--user=root",
                "--bind-interfaces"));
        for (String r : b.resolvers) {
            cmd.add("--listen-address=" + r);
        }
        cmd.addAll(List.of("--port=53", "--pid-file=" + tmp.resolve("dnsmasq.pid"),
                "--log-facility=" + tmp.resolve("dnsmasq.log")));
        cmd.addAll(b.options);
        dnsmasq = new ProcessBuilder(cmd).redirectErrorStream(true)
                .redirectOutput(tmp.resolve("dnsmasq.out").toFile()).start();
    }

    private void listen(int port, boolean bothFamilies, boolean keep) throws Exception {
        ServerSocket listener = ns.call(() -> {
            ServerSocket s = new ServerSocket();
            s.setReuseAddress(true);
            s.bind(new InetSocketAddress(bothFamilies ? InetAddress.getByName("::")
                    : InetAddress.getByAddress(new byte[4]), port), 256);
            return s;
        });
        AtomicBoolean stop = new AtomicBoolean();
        List<Socket> accepted = new ArrayList<>();
        closeWith(() -> {
            stop.set(true);
            listener.close();
            synchronized (accepted) {
                for (Socket c : accepted) {
                    c.close();
                }
            }
        });
        listener.setSoTimeout(200);
        daemon("outside-accept", () -> {
            while (!stop.get()) {
                try {
                    Socket c = listener.accept();
                    if (keep) { // kept open: a client's close ends its connection
                        c.getOutputStream().write('k');
                        synchronized (accepted) {
                            accepted.add(c);
                        }
                    } else {
                        try (c) {
                            c.getOutputStream().write('k');
                        }
                    }
                } catch (SocketTimeoutException again) {
                    // look at stop
                } catch (IOException e) {
                    // closed, or a client that went away
                }
            }
        });
    }

    /** Starts a daemon thread {@code name} running {@code r} (a server of the test's in the outside, say). */
    static void daemon(String name, Runnable r) {
        Thread t = new Thread(r, name);
        t.setDaemon(true);
        t.start();
    }

    /** Closes {@code c} with the outside, before dnsmasq stops (later ones first); returns it. */
    <T extends AutoCloseable> T closeWith(T c) {
        closeables.add(c);
        return c;
    }

    /** {@code dig +short} for A (or AAAA) from the outside: the answer, or "" (none within 1 s). */
    private String digShort(String server, String name, boolean aaaa) {
        List<String> cmd = new ArrayList<>(List.of("dig", "+short", "+time=1", "+tries=1", "@" + server, name));
        if (aaaa) {
            cmd.add("AAAA");
        }
        Command.Result r = ns.exec(cmd);
        return r.exitCode() == 0 ? r.stdout().trim() : "";
    }

    /** dnsmasq's log ({@code --log-facility}): with {@code --log-queries}, every query it got. */
    String log() throws IOException {
        Path log = tmp.resolve("dnsmasq.log");
        return Files.exists(log) ? Files.readString(log) : "";
    }

    /** What dnsmasq printed. */
    String output() throws IOException {
        Path out = tmp.resolve("dnsmasq.out");
        return Files.exists(out) ? Files.readString(out) : "";
    }

    /** Has dnsmasq read its hosts files again (SIGHUP). */
    void reload() {
        Command.run(List.of("kill", "-HUP", String.valueOf(dnsmasq.pid()))).orThrow();
    }

    /** Closes what {@link #closeWith} got (later ones first), then stops dnsmasq and deletes the namespace; the first failure is thrown. */
    @Override
    public void close() throws Exception {
        Exception failure = null;
        for (int i = closeables.size() - 1; i >= 0; i--) {
            try {
                closeables.get(i).close();
            } catch (Exception e) {
                if (failure == null) {
                    failure = e;
                } else {
                    failure.addSuppressed(e);
                }
            }
        }
        closeables.clear();
        try {
            if (dnsmasq != null) {
                dnsmasq.destroy();
                if (!dnsmasq.waitFor(5, TimeUnit.SECONDS)) {
                    dnsmasq.destroyForcibly();
                }
            }
        } finally {
            ns.close();
        }
        if (failure != null) {
            throw failure;
        }
    }
}
