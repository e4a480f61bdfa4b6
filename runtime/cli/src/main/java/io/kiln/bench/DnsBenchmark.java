package io.kiln.bench;

import io.kiln.KilnException;
import io.kiln.agent.fqdn.DnsLearner;
import io.kiln.agent.spec.SpecKind;
import io.kiln.agent.spec.TemplateCatalog;
import io.kiln.demo.Cleanup;
import io.kiln.demo.TemporaryAgent;
import io.kiln.host.Netns;
import io.kiln.lab.NetworkNamespace;
import io.kiln.lab.VethPair;
import io.kiln.runtime.AttachMode;
import org.xbill.DNS.ARecord;
import org.xbill.DNS.DClass;
import org.xbill.DNS.Message;
import org.xbill.DNS.Name;
import org.xbill.DNS.Record;
import org.xbill.DNS.Section;
import org.xbill.DNS.Type;

import java.io.PrintWriter;
import java.net.DatagramPacket;
import java.net.DatagramSocket;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.net.SocketTimeoutException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;

/**
 * {@code kiln bench dns}: N lookups, each of a name new to the node, each followed at once by a TCP
 * connect to the address it returned, from a client endpoint built with {@code dnsLearning=true}
 * whose only way out is a {@code toFQDNs} rule. A real resolver (dnsmasq) in a namespace of its own
 * behind the node namespace; the agent in this process. Figures: connects that succeeded, the
 * latency Kiln added to the answers (the learner's own measure, from the dataplane holding an answer
 * to its re-delivery), the plan-and-writes part of it, entries learned, the agent's heap. With
 * {@code names} above {@code pairs}, more names are looked up (no connect) until that many are
 * learned, and the heap after a GC is taken before the first lookup and after the last: the
 * agent's memory at that many names.
 */
public final class DnsBenchmark {
    /**
     * @param names the learned names to end with (at least {@code pairs}): the memory figure's size;
     *              the learner's per-endpoint and per-node bounds are raised to it if lower
     */
    public record Options(int pairs, int names, Path templates, AttachMode mode) {
        public Options(int pairs, Path templates, AttachMode mode) {
            this(pairs, pairs, templates, mode);
        }
    }

    /**
     * @param heapBeforeBytes the JVM's heap used after a GC with the agent up and nothing learned
     * @param heapUsedBytes   the same once every name is learned
     * @param namesMillis     the lookups past the pairs (the memory phase)
     * @param namesAddedMicros the added latency of the last (up to 4096) answers of that phase, sorted
     *                         (empty without one): the same figure with thousands of names learned
     */
    public record Result(int pairs, int firstConnectSuccess, long[] addedMicros, long[] applyMicros, int learnedEntries,
                         long heapBeforeBytes, long heapUsedBytes, long resolverMillis, long namesMillis,
                         long[] namesAddedMicros, Map<String, Integer> failures) {
    }

    private static final String GATEWAY = "198.18.0.1";
    private static final String CLIENT_IP = "198.18.0.11";
    private static final String CLIENT_MAC = "02:00:00:00:01:01";
    private static final String HOST_MAC = "02:00:00:00:02:01";
    private static final String HOST_IF = "bd1";
    private static final String RESOLVER = "198.18.1.53";
    private static final int PORT = 8080;

    private final Options o;
    private final PrintWriter progress;

    private DnsBenchmark(Options o, PrintWriter progress) {
        this.o = o;
        this.progress = progress;
    }

    public static Result run(Options o, PrintWriter progress) {
        return new DnsBenchmark(o, progress).run();
    }

    private void say(String s) {
        progress.println("bench dns: " + s);
        progress.flush();
    }

    /** The i-th name's address: 198.19.0.0/16, 250 a /24. */
    static String address(int i) {
        return "198.19." + (i / 250) + "." + (i % 250 + 1);
    }

    private Result run() {
        try (Cleanup cleanup = new Cleanup(progress)) {
            say("creating the node, client and resolver namespaces");
            NetworkNamespace node = NetworkNamespace.create("bd-node");
            cleanup.add("delete the node namespace", node::close);
            NetworkNamespace client = NetworkNamespace.create("bd-client");
            cleanup.add("delete the client namespace", client::close);
            NetworkNamespace outside = NetworkNamespace.create("bd-dns");
            cleanup.add("delete the resolver namespace", outside::close);
            VethPair.create(node, HOST_IF, client, "eth0");
            node.ip("link", "set", HOST_IF, "address", HOST_MAC);
            client.ip("link", "set", "eth0", "address", CLIENT_MAC);
            client.ip("addr", "add", CLIENT_IP + "/24", "dev", "eth0");
            client.ip("route", "add", "default", "via", GATEWAY, "dev", "eth0");
            VethPair.create(node, "ext0", outside, "eth0");
            node.ip("addr", "add", "198.18.1.1/24", "dev", "ext0");
            outside.ip("addr", "add", "198.18.1.2/24", "dev", "eth0");
            outside.ip("addr", "add", RESOLVER + "/32", "dev", "eth0");
            outside.ip("route", "add", "local", "198.19.0.0/16", "dev", "lo");
            outside.ip("route", "add", "198.18.0.0/24", "via", "198.18.1.1");
            node.ip("route", "add", "198.19.0.0/16", "via", "198.18.1.2");
            node.ip("route", "add", CLIENT_IP + "/32", "dev", HOST_IF);
            node.ip("neigh", "replace", CLIENT_IP, "lladdr", CLIENT_MAC, "dev", HOST_IF, "nud", "permanent");
            node.run(() -> {
                Files.writeString(Path.of("/proc/sys/net/ipv4/ip_forward"), "1");
                for (String i : List.of("all", "default", HOST_IF, "ext0")) {
                    Files.writeString(Path.of("/proc/sys/net/ipv4/conf/" + i + "/rp_filter"), "0");
                }
            });

            Path dir = Files.createTempDirectory("kiln-bench-dns");
            cleanup.add("delete " + dir, () -> deleteQuietly(dir));
            int names = Math.max(o.pairs(), o.names());
            StringBuilder hosts = new StringBuilder();
            for (int i = 0; i < names; i++) {
                hosts.append(address(i)).append(" n").append(i).append(".example.test\n");
            }
            Files.writeString(dir.resolve("hosts"), hosts);
            say("starting dnsmasq with " + names + " names");
            Process dnsmasq = new ProcessBuilder("ip", "netns", "exec", outside.name(), "dnsmasq",
                    "--keep-in-foreground", "--conf-file=/dev/null", "--no-resolv", "--no-hosts", "--user=root",
                    "--bind-interfaces", "--listen-address=" + RESOLVER, "--port=53", "--local-ttl=300",
                    "--cache-size=0", "--pid-file=" + dir.resolve("dnsmasq.pid"),
                    "--addn-hosts=" + dir.resolve("hosts")).redirectErrorStream(true)
                    .redirectOutput(dir.resolve("dnsmasq.out").toFile()).start();
            cleanup.add("stop dnsmasq", () -> stop(dnsmasq));
            ServerSocket listener = outside.call(() -> {
                ServerSocket s = new ServerSocket();
                s.setReuseAddress(true);
                s.bind(new InetSocketAddress(InetAddress.getByAddress(new byte[4]), PORT), 1024);
                return s;
            });
            listener.setSoTimeout(200);
            AtomicBoolean stop = new AtomicBoolean();
            Thread acceptor = new Thread(() -> accept(listener, stop), "bench-dns-accept");
            acceptor.setDaemon(true);
            acceptor.start();
            cleanup.add("close the listener", () -> {
                stop.set(true);
                closeQuietly(listener);
            });

            TemporaryAgent agent = TemporaryAgent.create("bench-dns", TemplateCatalog.scan(List.of(o.templates())),
                    Runtime.getRuntime().availableProcessors(), o.mode(), true, false,
                    (b, pins) -> b.dnsLearning(learnerOptions(pins.nodeDir(), names), Netns.named(node.name())));
            cleanup.add("remove the agent's programs, pins and folders", agent::uninstall);
            cleanup.add("stop the agent", agent::close);
            agent.start();
            agent.client().apply(SpecKind.POLICY, """
                    name: client
                    endpointSelector: { matchLabels: { app: client } }
                    egress:
                      - toCIDR: [ 198.18.1.53/32 ]
                        toPorts: [ { port: 53, protocol: UDP } ]
                      - toFQDNs: [ { matchPattern: "n*.example.test" } ]
                        toPorts: [ { port: 8080, protocol: TCP } ]
                    """);
            agent.client().apply(SpecKind.ENDPOINT, "id: 1\ninterface: " + HOST_IF + "\nnamespace: " + node.name()
                    + "\ntemplate: endpoint\nconstants: { GATEWAY_IPV4: " + GATEWAY + " }\naddresses: { ipv4: "
                    + CLIENT_IP + " }\nmac: \"" + CLIENT_MAC + "\"\nlabels: { app: client }\n"
                    + "build: { dnsLearning: true }\n");
            say("waiting for the client endpoint and the DNS learner");
            agent.await(st -> st.endpoints().stream().anyMatch(e -> e.id() == 1
                    && e.state() == io.kiln.agent.api.EndpointStatus.State.READY), Duration.ofSeconds(120),
                    "the client endpoint ready");
            DnsLearner learner = agent.agent().dnsLearner().orElseThrow();
            long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
            while (!learner.reading() && System.nanoTime() < deadline) {
                Thread.sleep(50);
            }
            Thread.sleep(500); // heartbeats
            long heapBefore = heapAfterGc();
            say(o.pairs() + " lookups, each followed at once by a connect");
            long t0 = System.nanoTime();
            Map<String, Integer> failures = new java.util.TreeMap<>();
            int ok = client.call(() -> {
                int n = 0;
                for (int i = 0; i < o.pairs(); i++) {
                    String failed = pair("n" + i + ".example.test", address(i));
                    if (failed == null) {
                        n++;
                    } else {
                        failures.merge(failed, 1, Integer::sum);
                    }
                }
                return n;
            });
            long millis = (System.nanoTime() - t0) / 1_000_000;
            long[] added = learner.recentLatenciesMicros();
            long[] apply = learner.recentApplyMicros();
            long t1 = System.nanoTime();
            if (names > o.pairs()) {
                say((names - o.pairs()) + " more lookups (no connect), to " + names + " learned names");
                client.call(() -> {
                    for (int i = o.pairs(); i < names; i++) {
                        String failed = lookup("n" + i + ".example.test", address(i));
                        if (failed != null) {
                            failures.merge("names phase: " + failed, 1, Integer::sum);
                        }
                    }
                    return null;
                });
            }
            long namesMillis = (System.nanoTime() - t1) / 1_000_000;
            long[] namesAdded = names > o.pairs() ? learner.recentLatenciesMicros() : new long[0];
            long heap = heapAfterGc();
            return new Result(o.pairs(), ok, added, apply, learner.cache().size(), heapBefore, heap, millis, namesMillis,
                    namesAdded, failures);
        } catch (KilnException e) {
            throw e;
        } catch (Exception e) {
            throw new KilnException("bench dns: " + e.getMessage(), e);
        }
    }

    /** The learner's defaults, with bounds that hold {@code names} entries of one endpoint. */
    static DnsLearner.Options learnerOptions(Path nodeDir, int names) {
        DnsLearner.Options d = DnsLearner.Options.of(nodeDir, false);
        return new DnsLearner.Options(d.nodeMapDir(), d.failClosed(), d.staleAfter(), d.heartbeat(), d.minTtl(),
                Math.max(d.perEndpoint(), names), Math.max(d.perNode(), names), d.applyTimeout(), d.expiryScan());
    }

    /** Heap used after a full collection (two, a moment apart: the figure settles). */
    private static long heapAfterGc() throws InterruptedException {
        System.gc();
        Thread.sleep(100);
        System.gc();
        return Runtime.getRuntime().totalMemory() - Runtime.getRuntime().freeMemory();
    }

    /** One lookup alone: null if the expected address came back. */
    private static String lookup(String name, String expected) throws Exception {
        String address = resolve(name);
        if (address == null) {
            return "no answer";
        }
        return expected.equals(address) ? null : "answer " + address + ", expected " + expected;
    }

    /** The A record's address of a UDP query dnsjava builds and reads; null if no answer came in 2 s. */
    private static String resolve(String name) throws Exception {
        Message q = Message.newQuery(Record.newRecord(Name.fromString(name + "."), Type.A, DClass.IN));
        byte[] wire = q.toWire();
        String address = "";
        try (DatagramSocket s = new DatagramSocket()) {
            s.setSoTimeout(2000);
            s.send(new DatagramPacket(wire, wire.length, new InetSocketAddress(RESOLVER, 53)));
            byte[] buf = new byte[1500];
            DatagramPacket p = new DatagramPacket(buf, buf.length);
            s.receive(p);
            for (Record r : new Message(java.util.Arrays.copyOf(buf, p.getLength())).getSection(Section.ANSWER)) {
                if (r instanceof ARecord a) {
                    address = a.getAddress().getHostAddress();
                }
            }
        } catch (SocketTimeoutException e) {
            return null;
        }
        return address;
    }

    /** One lookup (a UDP query dnsjava builds and reads), then at once a connect to the address: null if it connected, else why not. */
    private static String pair(String name, String expected) throws Exception {
        String address = resolve(name);
        if (address == null) {
            return "no answer";
        }
        if (!expected.equals(address)) {
            return "answer " + address + ", expected " + expected;
        }
        try (Socket s = new Socket()) {
            s.connect(new InetSocketAddress(address, PORT), 1000);
            return null;
        } catch (java.io.IOException e) {
            return "connect: " + e.getMessage();
        }
    }

    private static void accept(ServerSocket listener, AtomicBoolean stop) {
        while (!stop.get()) {
            try (Socket c = listener.accept()) {
                c.getOutputStream().write('k'); // an orderly close: an RST could reach the client before its connect returns
            } catch (SocketTimeoutException again) {
                // look at stop
            } catch (java.io.IOException e) {
                if (stop.get()) {
                    return;
                }
            }
        }
    }

    private static void stop(Process p) {
        p.destroy();
        try {
            if (!p.waitFor(5, TimeUnit.SECONDS)) {
                p.destroyForcibly();
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    private static void closeQuietly(ServerSocket s) {
        try {
            s.close();
        } catch (java.io.IOException ignored) {
            // closing
        }
    }

    private static void deleteQuietly(Path dir) {
        try (var walk = Files.walk(dir)) {
            for (Path p : walk.sorted(java.util.Comparator.reverseOrder()).toList()) {
                Files.deleteIfExists(p);
            }
        } catch (java.io.IOException ignored) {
            // a temp folder left behind
        }
    }

    public static long percentile(long[] sorted, double p) {
        if (sorted.length == 0) {
            return -1;
        }
        int i = (int) Math.ceil(p / 100.0 * sorted.length) - 1;
        return sorted[Math.max(0, Math.min(sorted.length - 1, i))];
    }
}
