package io.kiln.bench;

import io.kiln.KilnException;
import io.kiln.agent.api.AgentClient;
import io.kiln.agent.api.AgentStatus;
import io.kiln.agent.api.EndpointStatus;
import io.kiln.agent.spec.SpecKind;
import io.kiln.agent.spec.TemplateCatalog;
import io.kiln.demo.Cleanup;
import io.kiln.demo.TemporaryAgent;
import io.kiln.lab.NetworkNamespace;
import io.kiln.lab.VethPair;
import io.kiln.runtime.AttachMode;

import java.io.PrintWriter;
import java.net.InetSocketAddress;
import java.nio.ByteBuffer;
import java.nio.channels.DatagramChannel;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.locks.LockSupport;

/**
 * {@code kiln bench bringup}: how long a new endpoint waits from its spec accepted by the agent's
 * API to its first allowed packet delivered, with tiering (tier 0 at once, tier 1 behind it) and
 * without (its specialized program only). A server endpoint comes up first (not timed; it warms
 * the variant's objects and tier 0) with a policy that allows UDP from {@code app: client} only.
 * Then, one endpoint at a time, a sender in the new endpoint's own namespace sends a datagram to the
 * server every {@value #SEND_GAP_MICROS} µs, the endpoint's spec is applied through the API, and the
 * time from that call's return to the server's receipt of the endpoint's first datagram is its time
 * to first packet. The gateway and the server have static neighbour entries in each endpoint's
 * namespace (the server is on-link in the endpoints' /16), so no ARP retransmit timer (1 s) is in
 * the way of either run. Promotions to tier 1 continue in the background while the next endpoints come up; each
 * endpoint's tier-1 time is when the agent's status first shows it on tier 1 (polled every
 * {@value #POLL_MILLIS} ms). Each run has its own agent, pin root and folders; the namespaces are
 * made once and removed at the end.
 */
public final class BringupBenchmark {
    static final int SEND_GAP_MICROS = 200;
    static final int POLL_MILLIS = 5;
    private static final int PORT = 7000;
    private static final String GATEWAY = "198.18.0.1";
    private static final String SERVER_IP = "198.18.0.2";
    private static final int SERVER_ID = 1;
    private static final Duration FIRST_PACKET_TIMEOUT = Duration.ofSeconds(30);

    public record Options(int endpoints, int parallelism, Path templates, AttachMode mode) {
    }

    /** Times of one run, in milliseconds, one entry per endpoint. */
    /**
     * @param phaseMillis the mean of each phase of the agent's regenerations in this run, server included
     *                    ({@code kiln_regeneration_phase_seconds}: object, load_attach, tier0_object, tier0_attach)
     */
    public record Run(boolean tiered, double[] firstPacketMillis, double[] tier1ReadyMillis, int endedOnTier0,
                      Map<String, Double> phaseMillis) {
    }

    public record Result(int endpoints, Run tiered, Run specializedOnly) {
    }

    private final Options o;
    private final PrintWriter progress;

    private BringupBenchmark(Options o, PrintWriter progress) {
        this.o = o;
        this.progress = progress;
    }

    public static Result run(Options o, PrintWriter progress) {
        return new BringupBenchmark(o, progress).run();
    }

    private void say(String s) {
        progress.println("bench bringup: " + s);
        progress.flush();
    }

    private Result run() {
        int n = o.endpoints();
        try (Cleanup cleanup = new Cleanup(progress)) {
            say("creating a node namespace and " + (n + 1) + " endpoint namespaces with their veths");
            NetworkNamespace node = NetworkNamespace.create("bu-node");
            cleanup.add("delete the node namespace", node::close);
            List<NetworkNamespace> eps = new ArrayList<>();
            for (int id = SERVER_ID; id <= n + 1; id++) {
                NetworkNamespace ns = NetworkNamespace.create("bu" + id);
                cleanup.add("delete namespace " + ns.name(), ns::close);
                eps.add(ns);
                VethPair pair = VethPair.create(node, hostIf(id), ns, "eth0");
                node.ip("link", "set", hostIf(id), "address", hostMac(id));
                ns.ip("link", "set", "eth0", "address", mac(id));
                pair.b().addAddress(ip(id) + "/16");
                ns.ip("route", "add", "default", "via", GATEWAY, "dev", "eth0");
                for (String peer : new String[] {GATEWAY, SERVER_IP}) { // on-link in the /16: no ARP timer in the way
                    ns.ip("neigh", "replace", peer, "lladdr", hostMac(id), "dev", "eth0", "nud", "permanent");
                }
            }
            Run tiered = once(true, node, eps);
            Run plain = once(false, node, eps);
            return new Result(n, tiered, plain);
        } catch (Exception e) {
            throw e instanceof KilnException k ? k : new KilnException("bench bringup: " + e.getMessage(), e);
        }
    }

    private Run once(boolean tiering, NetworkNamespace node, List<NetworkNamespace> eps) throws Exception {
        int n = eps.size() - 1;
        String label = tiering ? "tiered" : "specialized only";
        try (Cleanup cleanup = new Cleanup(progress)) {
            TemporaryAgent agent = TemporaryAgent.create("bench-bringup", TemplateCatalog.scan(List.of(o.templates())),
                    o.parallelism(), o.mode(), true, tiering);
            cleanup.add("remove the agent's programs, pins and folders", agent::uninstall);
            cleanup.add("stop the agent", agent::close);
            agent.start();
            AgentClient api = agent.client();
            NetworkNamespace server = eps.get(0);
            DatagramChannel receiver = server.call(() -> DatagramChannel.open().bind(new InetSocketAddress(SERVER_IP, PORT)));
            cleanup.add("close the receiver", () -> close(receiver));
            Map<Integer, Long> firstSeen = new ConcurrentHashMap<>();
            Thread rx = new Thread(() -> receive(receiver, firstSeen), "bench-bringup-rx");
            rx.setDaemon(true);
            rx.start();

            api.apply(SpecKind.POLICY, """
                    name: server
                    endpointSelector: { matchLabels: { app: server } }
                    ingress:
                      - fromEndpoints: [ { matchLabels: { app: client } } ]
                        toPorts: [ { port: %d, protocol: UDP } ]
                    """.formatted(PORT));
            api.apply(SpecKind.ENDPOINT, spec(node, SERVER_ID, "server"));
            agent.await(s -> s.endpoints().stream().anyMatch(e -> e.id() == SERVER_ID
                    && e.state() == EndpointStatus.State.READY && Integer.valueOf(1).equals(e.tier())),
                    Duration.ofMinutes(5), "bring the server endpoint up on tier 1");
            say(label + ": server endpoint up; " + n + " endpoints, one at a time");

            long[] accepted = new long[n + 2];
            Map<Integer, Long> tier1At = new ConcurrentHashMap<>();
            Thread poll = new Thread(() -> pollTiers(agent, tier1At, n), "bench-bringup-status");
            poll.setDaemon(true);
            poll.start();
            double[] firstPacket = new double[n];
            for (int id = SERVER_ID + 1; id <= n + 1; id++) {
                NetworkNamespace ns = eps.get(id - 1);
                DatagramChannel tx = ns.call(() -> DatagramChannel.open().connect(new InetSocketAddress(SERVER_IP, PORT)));
                try {
                    int me = id;
                    Thread sender = new Thread(() -> send(tx, me, firstSeen), "bench-bringup-tx-" + id);
                    sender.setDaemon(true);
                    sender.start();
                    api.apply(SpecKind.ENDPOINT, spec(node, id, "client"));
                    accepted[id] = System.nanoTime();
                    long deadline = accepted[id] + FIRST_PACKET_TIMEOUT.toNanos();
                    while (!firstSeen.containsKey(id)) {
                        if (System.nanoTime() > deadline) {
                            throw new KilnException("bench bringup: " + label + ": endpoint " + id + ": no packet from"
                                    + " it reached the server within " + FIRST_PACKET_TIMEOUT.toSeconds() + " s; status: "
                                    + TemporaryAgent.describe(agent.agent().reconciler().status()));
                        }
                        LockSupport.parkNanos(50_000);
                    }
                    firstPacket[id - 2] = Math.max(0, firstSeen.get(id) - accepted[id]) / 1e6;
                    sender.join(5_000);
                } finally {
                    tx.close();
                }
            }
            AgentStatus done = agent.await(s -> s.endpoints().stream().filter(e -> e.id() != SERVER_ID)
                            .allMatch(e -> e.state() == EndpointStatus.State.READY && e.failures() == 0
                                    && Integer.valueOf(1).equals(e.tier())),
                    Duration.ofMinutes(10), "every endpoint on tier 1");
            poll.interrupt();
            poll.join(5_000);
            double[] tier1 = new double[n];
            for (int id = SERVER_ID + 1; id <= n + 1; id++) {
                Long at = tier1At.get(id);
                tier1[id - 2] = at == null ? Double.NaN : Math.max(0, at - accepted[id]) / 1e6;
            }
            String drops = agent.kernelMetrics().text().lines()
                    .filter(l -> l.startsWith("kiln_endpoint_drops_total") && !l.endsWith(" 0.0"))
                    .collect(java.util.stream.Collectors.joining("; "));
            say(label + ": drops during the run: " + (drops.isEmpty() ? "none" : drops));
            int onTier0 = (int) done.endpoints().stream().filter(e -> Integer.valueOf(0).equals(e.tier())).count();
            say(String.format("%s: first packet p50 %.2f ms, p99 %.2f ms", label, percentile(firstPacket, 50),
                    percentile(firstPacket, 99)));
            Map<String, Double> phases = new java.util.LinkedHashMap<>();
            for (String phase : List.of("tier0_object", "tier0_attach", "tier0_interface", "tier0_link",
                    "tier0_record", "object", "load_attach")) {
                double ms = RegenBenchmark.phaseMeanMillis(agent, phase);
                if (ms >= 0) {
                    phases.put(phase, ms);
                }
            }
            say(label + ": phase means (ms): " + phases);
            return new Run(tiering, firstPacket, tier1, onTier0, phases);
        }
    }

    private static void pollTiers(TemporaryAgent agent, Map<Integer, Long> tier1At, int n) {
        while (!Thread.currentThread().isInterrupted() && tier1At.size() < n + 1) {
            long now = System.nanoTime();
            for (EndpointStatus e : agent.agent().reconciler().status().endpoints()) {
                if (Integer.valueOf(1).equals(e.tier()) && e.state() == EndpointStatus.State.READY) {
                    tier1At.putIfAbsent(e.id(), now);
                }
            }
            try {
                Thread.sleep(POLL_MILLIS);
            } catch (InterruptedException stop) {
                return;
            }
        }
    }

    private static void receive(DatagramChannel rx, Map<Integer, Long> firstSeen) {
        ByteBuffer b = ByteBuffer.allocate(64);
        while (rx.isOpen()) {
            try {
                b.clear();
                rx.receive(b);
                long now = System.nanoTime();
                b.flip();
                if (b.remaining() >= 4) {
                    firstSeen.putIfAbsent(b.getInt(), now);
                }
            } catch (Exception closed) {
                return;
            }
        }
    }

    private static void send(DatagramChannel tx, int id, Map<Integer, Long> firstSeen) {
        ByteBuffer b = ByteBuffer.allocate(4).putInt(0, id);
        long deadline = System.nanoTime() + FIRST_PACKET_TIMEOUT.toNanos();
        while (!firstSeen.containsKey(id) && System.nanoTime() < deadline && tx.isOpen()) {
            try {
                b.rewind();
                tx.write(b);
            } catch (Exception dropped) {
                // unreachable until the endpoint's program forwards: keep trying
            }
            LockSupport.parkNanos(SEND_GAP_MICROS * 1000L);
        }
    }

    private static String spec(NetworkNamespace node, int id, String app) {
        return "id: " + id + "\n"
                + "interface: " + hostIf(id) + "\n"
                + "namespace: " + node.name() + "\n"
                + "template: endpoint\n"
                + "constants: { GATEWAY_IPV4: " + GATEWAY + " }\n"
                + "addresses: { ipv4: " + ip(id) + " }\n"
                + "mac: \"" + mac(id) + "\"\n"
                + "labels: { app: " + app + " }\n";
    }

    private static void close(DatagramChannel c) {
        try {
            c.close();
        } catch (java.io.IOException ignored) {
            // closing
        }
    }

    static String hostIf(int id) {
        return "bu" + id;
    }

    static String ip(int id) {
        return id == SERVER_ID ? SERVER_IP : "198.18." + (1 + id / 250) + "." + (id % 250 + 1);
    }

    static String mac(int id) {
        return String.format("02:00:00:01:%02x:%02x", id >> 8, id & 0xff);
    }

    static String hostMac(int id) {
        return String.format("02:00:00:02:%02x:%02x", id >> 8, id & 0xff);
    }

    public static double percentile(double[] samples, double p) {
        double[] s = java.util.Arrays.stream(samples).filter(d -> !Double.isNaN(d)).sorted().toArray();
        if (s.length == 0) {
            return Double.NaN;
        }
        int i = (int) Math.ceil(p / 100.0 * s.length) - 1;
        return s[Math.max(0, Math.min(s.length - 1, i))];
    }
}
