package io.kiln.agent.dataplane;

import io.kiln.agent.Agent;
import io.kiln.agent.flow.FlowPipeline;
import io.kiln.agent.flow.FlowRecord;
import io.kiln.agent.flow.Verdict;
import io.kiln.bpf.BpfMap;
import io.kiln.runtime.PinLayout;
import io.kiln.templates.EndpointBpf.DropReason;
import io.kiln.templates.EndpointBpf.MetricsMap;
import io.kiln.templates.EndpointDefines;
import io.kiln.templates.FlowEvent;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.InputStream;
import java.io.OutputStream;
import java.net.DatagramPacket;
import java.net.DatagramSocket;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;

import static io.kiln.agent.dataplane.AgentLab.ip;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Flow visibility end to end: real traffic between two endpoints the agent runs, the events read
 * from the node ring buffer by the agent's flow pipeline, enriched and queried as {@code GET /v1/flows}
 * answers them.
 */
class FlowsKernelTest {
    private static final int TCP = 8080;
    private static final int UDP = 9000;
    private static final int SENT = 3000;
    private static final int ECHOED = 5000;

    private static Agent start(AgentLab lab, String build) throws Exception {
        lab.writeSpec("endpoints", "client.yaml", lab.endpointYaml(1, "{app: client}") + build);
        lab.writeSpec("endpoints", "web.yaml", lab.endpointYaml(2, "{app: web}") + build);
        lab.writeSpec("policies", "web.yaml", """
                name: web
                endpointSelector: { matchLabels: { app: web } }
                ingress:
                  - fromEndpoints: [ { matchLabels: { app: client } } ]
                    toPorts: [ { port: 8080, protocol: TCP } ]
                """);
        KernelDataplane dp = lab.dataplane();
        Agent agent = lab.start(lab.agent(dp).specDirectory(lab.specDir, Duration.ofSeconds(2))
                .flows(new FlowPipeline.Options(new PinLayout(lab.pinRoot).nodeDir(), 4096, 4096, Duration.ZERO)));
        lab.awaitReady(agent, 1, 2);
        AgentLab.eventually("the flow pipeline reads the ring", () -> agent.flows().orElseThrow().reading(), () -> "");
        return agent;
    }

    private static List<FlowRecord> flows(Agent agent, Map<String, String> q) throws Exception {
        return agent.flows().orElseThrow().query(q).lines().map(FlowRecord::fromJson).toList();
    }

    /** Client 1 sends SENT bytes to web 2, web answers ECHOED bytes and closes; the client closes after it. */
    private static void exchange(AgentLab lab) throws Exception {
        ServerSocket server = lab.ns(2).call(() -> new ServerSocket(TCP, 5, InetAddress.getByAddress(new byte[4])));
        try (server) {
            server.setSoTimeout(5000);
            CompletableFuture<Integer> served = CompletableFuture.supplyAsync(() -> {
                try (Socket s = server.accept()) {
                    s.setSoTimeout(5000);
                    int got = readExactly(s.getInputStream(), SENT);
                    s.getOutputStream().write(new byte[ECHOED]);
                    return got;
                } catch (Exception e) {
                    throw new IllegalStateException(e);
                }
            });
            int received = lab.ns(1).call(() -> {
                try (Socket s = new Socket()) {
                    s.connect(new InetSocketAddress(ip(2), TCP), 5000);
                    s.setSoTimeout(5000);
                    OutputStream out = s.getOutputStream();
                    out.write(new byte[SENT]);
                    InputStream in = s.getInputStream();
                    int n = 0;
                    byte[] buf = new byte[8192];
                    for (int r; (r = in.read(buf)) >= 0; ) { // to the server's FIN
                        n += r;
                    }
                    return n;
                }
            });
            assertEquals(SENT, served.get(10, TimeUnit.SECONDS));
            assertEquals(ECHOED, received);
        }
    }

    private static int readExactly(InputStream in, int n) throws java.io.IOException {
        byte[] buf = new byte[n];
        int at = 0;
        while (at < n) {
            int r = in.read(buf, at, n - at);
            if (r < 0) {
                break;
            }
            at += r;
        }
        return at;
    }

    private static long metric(AgentLab lab, int endpoint, int dir, DropReason reason) {
        try (BpfMap m = BpfMap.openPinned(new PinLayout(lab.pinRoot).endpointMap(endpoint, MetricsMap.NAME))) {
            long sum = 0;
            for (byte[] v : m.lookupPerCpu(EndpointDefines.metricsKey(dir, reason).toBytes()).orElseThrow()) {
                sum += ByteBuffer.wrap(v).order(ByteOrder.nativeOrder()).getLong();
            }
            return sum;
        }
    }

    @Test
    void aTcpExchangeIsReportedOnceByEachEndpointWithExactCountersAndDeniedTrafficAsDrops(@TempDir Path tmp)
            throws Exception {
        try (AgentLab lab = AgentLab.create(tmp, 1, 2)) {
            Agent agent = start(lab, "");
            // ARP is answered by the program itself (ARP_REPLIED): the window holds the connection's packets only
            long redirectedBefore = metric(lab, 1, EndpointDefines.DIR_EGRESS, DropReason.REDIRECTED);
            long after = agent.flows().orElseThrow().lastSeq();
            exchange(lab);
            long redirected = metric(lab, 1, EndpointDefines.DIR_EGRESS, DropReason.REDIRECTED) - redirectedBefore;

            Map<String, String> q = Map.of("after", Long.toString(after), "port", Integer.toString(TCP),
                    "protocol", "TCP");
            AgentLab.eventually("both ends of the connection reported twice", () -> flows(agent, q).stream()
                    .filter(r -> r.type().equals("end")).count() >= 2, () -> flows(agent, q).toString());
            Thread.sleep(300); // a second end event, if there were one, would be in by now
            List<FlowRecord> records = flows(agent, q);
            List<FlowRecord> clientSide = records.stream().filter(r -> r.endpointId() == 1).toList();
            List<FlowRecord> webSide = records.stream().filter(r -> r.endpointId() == 2).toList();
            assertEquals(List.of("start", "end"), clientSide.stream().map(FlowRecord::type).toList(), records.toString());
            assertEquals(List.of("start", "end"), webSide.stream().map(FlowRecord::type).toList(), records.toString());
            FlowRecord c = clientSide.get(1);
            FlowRecord w = webSide.get(1);
            assertEquals("egress", c.direction(), "the client opened it");
            assertEquals("ingress", w.direction(), "opened towards web");
            assertEquals(Verdict.FORWARDED, c.verdict());
            assertEquals("lxc1", c.endpointName());
            assertEquals(ip(1), c.source().ip());
            assertEquals("lxc1", c.source().name());
            assertEquals("client", c.source().labels().get("app"));
            assertEquals(ip(2), c.destination().ip());
            assertEquals(TCP, c.destination().port());
            assertEquals("web", c.destination().labels().get("app"));
            assertTrue(c.destination().identity() != 0 && c.source().identity() != 0);
            // both observation points saw the same packets, and the client's equal the metrics map's count
            assertEquals(redirected, c.packetsFwd(), "client -> web packets, as metrics counted them");
            assertEquals(c.packetsFwd(), w.packetsFwd());
            assertEquals(c.bytesFwd(), w.bytesFwd());
            assertEquals(c.packetsRev(), w.packetsRev());
            assertEquals(c.bytesRev(), w.bytesRev());
            assertTrue(c.bytesFwd() >= SENT + 54L * c.packetsFwd() && c.bytesRev() >= ECHOED + 54L * c.packetsRev(),
                    "payload plus Ethernet, IPv4 and TCP headers: " + c);
            assertTrue(c.tcpFlags().containsAll(List.of("SYN", "ACK", "FIN")) && !c.tcpFlags().contains("RST"),
                    c.tcpFlags().toString());
            assertTrue(!c.lastSeen().isBefore(c.firstSeen()));
            assertTrue(c.rttMicros() > 0 && c.rttMicros() < 1_000_000, "client side: SYN to SYN-ACK " + c.rttMicros());
            assertTrue(w.rttMicros() > 0 && w.rttMicros() < 1_000_000, "web side: SYN-ACK to ACK " + w.rttMicros());

            // denied: UDP to web, dropped by web's ingress policy, one drop event per datagram
            long seq = agent.flows().orElseThrow().lastSeq();
            int[] udpPort = new int[1];
            lab.ns(1).call(() -> {
                try (DatagramSocket s = new DatagramSocket()) {
                    udpPort[0] = s.getLocalPort();
                    for (int i = 0; i < 5; i++) {
                        s.send(new DatagramPacket(new byte[20], 20, new InetSocketAddress(ip(2), UDP)));
                    }
                }
                return null;
            });
            Map<String, String> drops = Map.of("after", Long.toString(seq), "verdict", "DROPPED", "to", "app=web");
            AgentLab.eventually("five drop events", () -> flows(agent, drops).size() >= 5,
                    () -> flows(agent, drops).toString());
            for (FlowRecord d : flows(agent, drops)) {
                assertEquals("drop", d.type());
                assertEquals("POLICY_DENIED", d.reason());
                assertEquals(2, d.endpointId());
                assertEquals("ingress", d.direction());
                assertEquals("UDP", d.protocol());
                assertEquals(UDP, d.destination().port());
                assertEquals("lxc1", d.source().name());
            }
            assertEquals(0, agent.flows().orElseThrow().kernelLost());

            // the client's UDP flow (its egress is open; web dropped it) has no end event: it ends when
            // its conntrack entry expires; expire it now, as 60 s would
            byte[] key = io.kiln.templates.EndpointBpf.ConntrackMap.Key.builder()
                    .saddr(EndpointDefines.ipv4(InetAddress.getByName(ip(1))))
                    .daddr(EndpointDefines.ipv4(InetAddress.getByName(ip(2)))).sport(udpPort[0]).dport(UDP)
                    .proto(17).kind(EndpointDefines.CT_KIND_EGRESS).build().toBytes();
            try (BpfMap ct = BpfMap.openPinned(new PinLayout(lab.pinRoot).nodeMap("conntrack"))) {
                var v = io.kiln.templates.EndpointBpf.ConntrackMap.Value.fromBytes(ct.lookup(key).orElseThrow(
                        () -> new AssertionError("no conntrack entry for the client's UDP flow")));
                assertEquals(5, v.packetsFwd());
                ct.update(key, new io.kiln.templates.EndpointBpf.ConntrackMap.Value(1, v.natAddr(), v.natPort(),
                        v.serviceId(), v.endpointId(), v.tcpFlags(), v.flowFlags(), v.rttUs(), v.firstSeen(),
                        v.lastSeen(), v.packetsFwd(), v.bytesFwd(), v.packetsRev(), v.bytesRev()).toBytes());
                long expiredAfter = agent.flows().orElseThrow().lastSeq();
                assertTrue(agent.flows().orElseThrow().scanExpired() >= 1);
                assertTrue(ct.lookup(key).isEmpty(), "the expired entry was deleted");
                List<FlowRecord> gone = flows(agent, Map.of("after", Long.toString(expiredAfter), "type", "expired",
                        "protocol", "UDP"));
                assertEquals(1, gone.size(), gone.toString());
                assertEquals(5, gone.get(0).packetsFwd());
                assertEquals(1, gone.get(0).endpointId());
                assertEquals("egress", gone.get(0).direction());
                assertEquals(UDP, gone.get(0).destination().port());
                assertEquals(0, agent.flows().orElseThrow().scanExpired(), "reported once");
            }
        }
    }

    @Test
    void aBurstThatFillsASmallRingIsCountedAsLostAndTheAgentKeepsUpAfterwards(@TempDir Path tmp) throws Exception {
        try (AgentLab lab = AgentLab.create(tmp, 1, 2)) {
            // no drop event budget: this test is about the ring itself
            Agent agent = start(lab, "build: { flowRingSize: 4096, flowDropRate: 0 }\n");
            FlowPipeline flows = agent.flows().orElseThrow();
            long deniedBefore = metric(lab, 2, EndpointDefines.DIR_INGRESS, DropReason.POLICY_DENIED);
            long receivedBefore = flows.received(FlowEvent.Type.DROP);
            int burst = 20000;
            lab.ns(1).call(() -> {
                try (DatagramSocket s = new DatagramSocket()) {
                    DatagramPacket p = new DatagramPacket(new byte[18], 18, new InetSocketAddress(ip(2), UDP));
                    for (int i = 0; i < burst; i++) {
                        s.send(p);
                    }
                }
                return null;
            });
            AgentLab.eventually("every event read or counted as lost", () -> {
                long denied = metric(lab, 2, EndpointDefines.DIR_INGRESS, DropReason.POLICY_DENIED) - deniedBefore;
                return denied > 0 && flows.received(FlowEvent.Type.DROP) - receivedBefore + flows.kernelLost() >= denied;
            }, () -> "drop events read " + flows.received(FlowEvent.Type.DROP) + ", lost " + flows.kernelLost());
            long denied = metric(lab, 2, EndpointDefines.DIR_INGRESS, DropReason.POLICY_DENIED) - deniedBefore;
            long lost = flows.kernelLost();
            long read = flows.received(FlowEvent.Type.DROP) - receivedBefore;
            System.out.printf("burst of %d datagrams: %d dropped by policy, %d drop events read, %d lost (ring 4096"
                    + " bytes)%n", burst, denied, read, lost);
            assertTrue(lost > 0, "a 34-event ring cannot hold a burst of " + denied + " drops");
            assertEquals(denied, read + lost, "every drop is either an event the agent read or a lost one (the"
                    + " client's own flow start came first, into an empty ring): nothing vanishes silently");
            assertEquals(0, flows.agentDropped());
            assertTrue(flows.backlog() < 4096);

            // afterwards the agent keeps up: a quiet connection is reported whole
            long after = flows.lastSeq();
            exchange(lab);
            Map<String, String> q = Map.of("after", Long.toString(after), "port", Integer.toString(TCP), "type", "end");
            AgentLab.eventually("the connection's end events", () -> flows(agent, q).size() == 2,
                    () -> flows(agent, q).toString());
            assertEquals(lost, flows.kernelLost(), "nothing lost once the burst was over");
        }
    }

    @Test
    void aFloodOfDeniedPacketsSpendsTheDropEventBudgetAndTheRestIsCountedAsSuppressedNotLost(@TempDir Path tmp)
            throws Exception {
        try (AgentLab lab = AgentLab.create(tmp, 1, 2)) {
            Agent agent = start(lab, "build: { flowDropRate: 100, flowDropBurst: 50 }\n");
            FlowPipeline flows = agent.flows().orElseThrow();
            long deniedBefore = metric(lab, 2, EndpointDefines.DIR_INGRESS, DropReason.POLICY_DENIED);
            long readBefore = flows.received(FlowEvent.Type.DROP);
            long suppressedBefore = flows.dropEventsSuppressed();
            int flood = 5000;
            long began = System.nanoTime();
            lab.ns(1).call(() -> {
                try (DatagramSocket s = new DatagramSocket()) {
                    DatagramPacket p = new DatagramPacket(new byte[18], 18, new InetSocketAddress(ip(2), UDP));
                    for (int i = 0; i < flood; i++) {
                        s.send(p);
                    }
                }
                return null;
            });
            double seconds = (System.nanoTime() - began) / 1e9;
            AgentLab.eventually("every drop read or suppressed", () -> {
                long denied = metric(lab, 2, EndpointDefines.DIR_INGRESS, DropReason.POLICY_DENIED) - deniedBefore;
                return denied > 0 && flows.received(FlowEvent.Type.DROP) - readBefore
                        + flows.dropEventsSuppressed() - suppressedBefore >= denied;
            }, () -> "read " + flows.received(FlowEvent.Type.DROP) + ", suppressed " + flows.dropEventsSuppressed());
            long denied = metric(lab, 2, EndpointDefines.DIR_INGRESS, DropReason.POLICY_DENIED) - deniedBefore;
            long read = flows.received(FlowEvent.Type.DROP) - readBefore;
            long suppressed = flows.dropEventsSuppressed() - suppressedBefore;
            int cpus = Runtime.getRuntime().availableProcessors();
            System.out.printf("flood of %d datagrams in %.3f s: %d denied, %d drop events read, %d suppressed, %d lost"
                    + " (budget 50 + 100/s per CPU, %d CPUs)%n", flood, seconds, denied, read, suppressed,
                    flows.kernelLost(), cpus);
            assertEquals(denied, read + suppressed, "every drop is an event or counted as suppressed");
            assertEquals(0, flows.kernelLost(), "the ring never filled");
            assertTrue(read >= 50 && read <= cpus * (50 + Math.ceil(100 * (seconds + 1))),
                    "the budget: at least one burst, at most each CPU's burst and rate: " + read);
            assertTrue(suppressed > 0);
            assertEquals((double) flows.dropEventsSuppressed(),
                    flows.sum("kiln_flow_drop_events_suppressed_total", java.util.Map.of()), "exported as a metric");
        }
    }

    @Test
    void aLongConnectionSendsUpdatesOncePerIntervalFromEachEndpoint(@TempDir Path tmp) throws Exception {
        try (AgentLab lab = AgentLab.create(tmp, 1, 2)) {
            Agent agent = start(lab, "build: { flowUpdateInterval: 1 }\n");
            long after = agent.flows().orElseThrow().lastSeq();
            ServerSocket server = lab.ns(2).call(() -> new ServerSocket(TCP, 5, InetAddress.getByAddress(new byte[4])));
            int chunks = 26; // 100 bytes every 100 ms: about 2.6 s, two whole windows after the first
            try (server) {
                server.setSoTimeout(5000);
                CompletableFuture<Integer> served = CompletableFuture.supplyAsync(() -> {
                    try (Socket s = server.accept()) {
                        s.setSoTimeout(10000);
                        return readExactly(s.getInputStream(), chunks * 100);
                    } catch (Exception e) {
                        throw new IllegalStateException(e);
                    }
                });
                lab.ns(1).call(() -> {
                    try (Socket s = new Socket()) {
                        s.connect(new InetSocketAddress(ip(2), TCP), 5000);
                        s.setTcpNoDelay(true);
                        for (int i = 0; i < chunks; i++) {
                            s.getOutputStream().write(new byte[100]);
                            Thread.sleep(100);
                        }
                    }
                    return null;
                });
                assertEquals(chunks * 100, served.get(10, TimeUnit.SECONDS));
            }
            Map<String, String> q = Map.of("after", Long.toString(after), "port", Integer.toString(TCP));
            AgentLab.eventually("both ends", () -> flows(agent, q).stream().filter(r -> r.type().equals("end")).count()
                    >= 2, () -> flows(agent, q).toString());
            for (int endpoint : new int[] {1, 2}) {
                List<FlowRecord> side = flows(agent, q).stream().filter(r -> r.endpointId() == endpoint).toList();
                List<String> types = side.stream().map(FlowRecord::type).toList();
                assertEquals("start", types.get(0), side.toString());
                assertEquals("end", types.get(types.size() - 1), side.toString());
                List<FlowRecord> updates = side.stream().filter(r -> r.type().equals("update")).toList();
                assertTrue(updates.size() >= 2 && updates.size() <= 3, "one update per whole second: " + types);
                FlowRecord first = side.get(0);
                long lastPackets = 0;
                for (FlowRecord u : updates) {
                    assertEquals(Verdict.FORWARDED, u.verdict());
                    assertEquals(first.firstSeen(), u.firstSeen(), "the same flow");
                    assertEquals(endpoint == 1 ? "egress" : "ingress", u.direction());
                    assertEquals(ip(1), u.source().ip());
                    assertEquals(TCP, u.destination().port());
                    assertTrue(u.packetsFwd() > lastPackets, "counters so far, rising: " + updates);
                    lastPackets = u.packetsFwd();
                    long age = Duration.between(u.firstSeen(), u.lastSeen()).toMillis();
                    assertTrue(age >= 1000 && age < 3000, "sent in a window after the first: " + age + " ms");
                }
                assertTrue(Duration.between(updates.get(0).lastSeen(), updates.get(1).lastSeen()).toMillis() >= 500,
                        "not two in one window: " + updates);
                assertTrue(side.get(side.size() - 1).packetsFwd() >= lastPackets);
            }
        }
    }

    /**
     * RTT through a delayed path: the client endpoint connects to a server in a namespace "far" behind
     * the node, over a wire that holds what far sends back 20 ms ({@link DelayLine}: this kernel has no
     * sch_netem). The client's own entry measures SYN (at its host-side veth) to SYN-ACK (back at that
     * veth): the round trip beyond the endpoint, so the delay on the far side of the node is in it. A
     * connection between the two endpoints, without the delay, shows what the measurement adds.
     */
    @Test
    void theRoundTripOfAConnectionThroughADelayedPathIsItsHandshakeRtt(@TempDir Path tmp) throws Exception {
        long delayMs = 20;
        try (AgentLab lab = AgentLab.create(tmp, 1, 2);
             io.kiln.lab.NetworkNamespace far = io.kiln.lab.NetworkNamespace.create("far")) {
            Agent agent = start(lab, "");
            String farIp = "198.19.0.2";
            String nodeIp = "198.19.0.1";
            String nodeTapMac = "02:00:00:00:03:01";
            String farTapMac = "02:00:00:00:03:02";
            try (DelayLine line = new DelayLine(lab.node, "dly0", far, "dly1", delayMs * 1_000_000)) {
                lab.node.ip("link", "set", "dly0", "address", nodeTapMac, "up");
                lab.node.ip("addr", "add", nodeIp + "/24", "dev", "dly0");
                lab.node.ip("neigh", "replace", farIp, "lladdr", farTapMac, "dev", "dly0", "nud", "permanent");
                lab.node.ip("route", "add", ip(1) + "/32", "dev", AgentLab.hostIf(1));
                lab.node.ip("neigh", "replace", ip(1), "lladdr", AgentLab.mac(1), "dev", AgentLab.hostIf(1),
                        "nud", "permanent");
                lab.node.run(() -> java.nio.file.Files.writeString(Path.of("/proc/sys/net/ipv4/ip_forward"), "1"));
                far.ip("link", "set", "lo", "up");
                far.ip("link", "set", "dly1", "address", farTapMac, "up");
                far.ip("addr", "add", farIp + "/24", "dev", "dly1");
                far.ip("neigh", "replace", nodeIp, "lladdr", nodeTapMac, "dev", "dly1", "nud", "permanent");
                far.ip("route", "add", "198.18.0.0/24", "via", nodeIp, "dev", "dly1");

                int port = 7000;
                long after = agent.flows().orElseThrow().lastSeq();
                ServerSocket server = far.call(() -> new ServerSocket(port, 5, InetAddress.getByName(farIp)));
                try (server) {
                    server.setSoTimeout(5000);
                    CompletableFuture<Integer> served = CompletableFuture.supplyAsync(() -> {
                        try (Socket s = server.accept()) {
                            s.setSoTimeout(5000);
                            return readExactly(s.getInputStream(), 100);
                        } catch (Exception e) {
                            throw new IllegalStateException(e);
                        }
                    });
                    long connectMs = lab.ns(1).call(() -> {
                        try (Socket s = new Socket()) {
                            long t0 = System.nanoTime();
                            s.connect(new InetSocketAddress(farIp, port), 5000);
                            long ms = (System.nanoTime() - t0) / 1_000_000;
                            s.getOutputStream().write(new byte[100]);
                            return ms;
                        }
                    });
                    assertEquals(100, served.get(10, TimeUnit.SECONDS));
                    assertTrue(connectMs >= delayMs, "the client's connect waited for the delayed SYN-ACK: " + connectMs);
                }
                Map<String, String> q = Map.of("after", Long.toString(after), "port", Integer.toString(port),
                        "endpoint", "1");
                AgentLab.eventually("the connection's end", () -> flows(agent, q).stream()
                        .anyMatch(r -> r.type().equals("end")), () -> flows(agent, q).toString());
                FlowRecord end = flows(agent, q).stream().filter(r -> r.type().equals("end")).findFirst().orElseThrow();
                assertEquals("egress", end.direction());
                assertEquals(farIp, end.destination().ip());
                System.out.printf("RTT through a %d ms delay: %d us (client endpoint's handshake)%n", delayMs,
                        end.rttMicros());
                assertTrue(end.rttMicros() >= delayMs * 1000 && end.rttMicros() < (delayMs + 10) * 1000,
                        "SYN to SYN-ACK at the client's veth: the delay, plus little: " + end.rttMicros() + " us");
            }

            // the same measurement between the two endpoints, no delay on the way
            long after = agent.flows().orElseThrow().lastSeq();
            exchange(lab);
            Map<String, String> q = Map.of("after", Long.toString(after), "port", Integer.toString(TCP), "type", "end");
            AgentLab.eventually("both ends", () -> flows(agent, q).size() >= 2, () -> flows(agent, q).toString());
            for (FlowRecord r : flows(agent, q)) {
                System.out.printf("RTT without delay, endpoint %d: %d us%n", r.endpointId(), r.rttMicros());
                assertTrue(r.rttMicros() > 0 && r.rttMicros() < 5000, "no delay: " + r);
            }
        }
    }
}
