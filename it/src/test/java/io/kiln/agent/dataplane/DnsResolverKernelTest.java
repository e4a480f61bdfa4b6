package io.kiln.agent.dataplane;

import io.kiln.agent.Agent;
import io.kiln.agent.api.AgentClient;
import io.kiln.agent.fqdn.DnsLearner;
import io.kiln.agent.spec.AddressLiterals;
import io.kiln.lab.Command;
import io.kiln.lab.NetworkNamespace;
import io.kiln.runtime.PinLayout;
import io.kiln.templates.DnsEvent;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.net.DatagramPacket;
import java.net.DatagramSocket;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.net.SocketTimeoutException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicReference;
import java.util.function.UnaryOperator;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * DNS-aware policy against a real resolver over both families: dnsmasq in a namespace of the
 * test's own ("outside", routed through the node namespace, which here has IPv6 on) serves a zone
 * on 198.18.0.0/15 and 2001:db8:1::/64 on 198.18.1.53 and 2001:db8:1::53; a small resolver of the
 * test's own on 198.18.1.54 sends hostile answers. Client endpoint 1 (ipv6 and dnsLearning) may
 * reach both resolvers on port 53 and a list of names on TCP 8080. Covers: AAAA learning over
 * IPv6 (lookup and connect over IPv6 only), a record that changes (SIGHUP), CNAME chains, many
 * addresses, EDNS on and off, upper case, answers over 512 bytes over UDP (EDNS) and over TCP
 * (truncated, then TCP), an answer too large for one frame, Java's own resolver, and malformed
 * answers that must not be learned nor stop the agent. {@link DnsLearningKernelTest} has the race,
 * the failure modes and expiry.
 */
class DnsResolverKernelTest {
    private static final String RESOLVER = "198.18.1.53";
    private static final String RESOLVER6 = "2001:db8:1::53";
    private static final String HOSTILE = "198.18.1.54";
    private static final String API = "198.18.1.10";
    private static final String API6 = "2001:db8:1::10";
    private static final String OTHER6 = "2001:db8:1::11";
    private static final String CLIENT6 = "2001:db8::11";
    private static final int PORT = 8080;
    private static final List<String> ALLOWED = List.of("api", "moving", "www", "many", "big", "tc", "huge", "mixed",
            "java", "hostile", "v6tcp");
    private static final int PAIRS6 = 20;

    /**
     * The outside ({@link DnsOutside}, with IPv6): dnsmasq with a hosts file, a hostile resolver, and a TCP listener
     * on every address that keeps its connections open.
     */
    private static final class Outside implements AutoCloseable {
        final DnsOutside dns;
        final NetworkNamespace ns;
        final Path hosts;
        /** What the hostile resolver answers to a query (the query's bytes in, the answer's out; null: silence). */
        final AtomicReference<UnaryOperator<byte[]>> answer = new AtomicReference<>(q -> null);

        Outside(AgentLab lab, Path tmp) throws Exception {
            hosts = tmp.resolve("hosts");
            writeHosts("198.18.2.1");
            List<String> zone = new ArrayList<>(List.of("--local-ttl=1", "--addn-hosts=" + hosts,
                    "--host-record=api.example.test," + API + "," + API6,
                    "--host-record=other.example.test,198.18.1.11," + OTHER6,
                    "--host-record=edge.cdn.test,198.18.2.20",
                    "--cname=www.example.test,web.cdn.test", "--cname=web.cdn.test,edge.cdn.test",
                    "--host-record=mixed.example.test,198.18.2.30",
                    "--host-record=java.example.test,198.18.2.40",
                    "--host-record=v6tcp.example.test,2001:db8:1::20"));
            for (int i = 1; i <= PAIRS6; i++) {
                zone.add("--host-record=six" + i + ".example.test,2001:db8:1::" + (100 + i));
            }
            dns = DnsOutside.builder("dnsres", tmp).ipv6().resolver(RESOLVER, RESOLVER6)
                    .address(HOSTILE, API, "198.18.1.11")
                    .routed("198.18.2.0/23", "198.18.4.0/23", "2001:db8:1::/64") // every name's address
                    .endpoint(1).endpoint6(1, CLIENT6).dnsmasq(zone).listener(PORT, true)
                    .awaitAnswer(RESOLVER6, "api.example.test", API6) // over IPv6 first
                    .awaitAnswer(RESOLVER, "api.example.test", API).start(lab);
            ns = dns.ns;
            try {
                DatagramSocket hostile = dns.closeWith(ns.call(() -> new DatagramSocket(new InetSocketAddress(HOSTILE, 53))));
                hostile.setSoTimeout(200);
                DnsOutside.daemon("outside-hostile", () -> {
                    byte[] buf = new byte[512];
                    while (!hostile.isClosed()) {
                        try {
                            DatagramPacket q = new DatagramPacket(buf, buf.length);
                            hostile.receive(q);
                            byte[] a = answer.get().apply(Arrays.copyOf(buf, q.getLength()));
                            if (a != null) {
                                hostile.send(new DatagramPacket(a, a.length, q.getSocketAddress()));
                            }
                        } catch (SocketTimeoutException again) {
                            // look again
                        } catch (IOException e) {
                            // closed
                        }
                    }
                });
            } catch (Exception | Error e) {
                dns.close();
                throw e;
            }
        }

        /** The addn-hosts file: moving.example.test at {@code moving}, and the names with many addresses. */
        void writeHosts(String moving) throws IOException {
            StringBuilder b = new StringBuilder(moving + " moving.example.test\n");
            for (int i = 1; i <= 20; i++) {
                b.append("198.18.3.").append(i).append(" many.example.test\n");
            }
            for (int i = 1; i <= 60; i++) { // ~1 KB: over 512 bytes, within one frame
                b.append("198.18.4.").append(i).append(" big.example.test\n");
                b.append("198.18.5.").append(i).append(" tc.example.test\n");
            }
            for (int i = 101; i <= 220; i++) { // ~2 KB: more than one frame
                b.append("198.18.5.").append(i).append(" huge.example.test\n");
            }
            Files.writeString(hosts, b.toString());
        }

        /** Has dnsmasq read its hosts file again (SIGHUP). */
        void reload() {
            dns.reload();
        }

        @Override
        public void close() throws Exception {
            dns.close();
        }
    }

    /** What dig printed: the answer's A and AAAA addresses in order, and its whole output. */
    record Dig(List<String> addresses, String out) {
        boolean overTcp() {
            return out.contains("(TCP)");
        }
    }

    /** {@code dig +noall +answer +stats @server name [options]} from ns; at most 2 s. */
    static Dig dig(NetworkNamespace ns, String server, String name, String... options) {
        List<String> cmd = new ArrayList<>(List.of("dig", "+noall", "+answer", "+stats", "+time=1", "+tries=1",
                "@" + server, name));
        cmd.addAll(List.of(options));
        Command.Result r = ns.exec(cmd);
        List<String> addresses = new ArrayList<>();
        for (String line : r.stdout().lines().toList()) {
            String[] f = line.trim().split("\\s+");
            if (f.length == 5 && !line.startsWith(";") && (f[3].equals("A") || f[3].equals("AAAA"))) {
                addresses.add(f[4]);
            }
        }
        return new Dig(r.exitCode() == 0 ? addresses : List.of(), r.stdout() + r.stderr());
    }

    /** A TCP connect from endpoint 1 that reads the listener's byte: true if it got it within 1 s. */
    static boolean connects(AgentLab lab, String address) throws Exception {
        return DnsClient.connects(lab.ns(1), address, PORT);
    }

    /** A connection from endpoint 1 that stays open (the caller closes it). */
    static Socket open(AgentLab lab, String address) throws Exception {
        Socket s = lab.ns(1).call(() -> {
            Socket c = new Socket();
            c.connect(new InetSocketAddress(address, PORT), 1000);
            return c;
        });
        s.setSoTimeout(1000);
        assertEquals('k', s.getInputStream().read(), address);
        return s;
    }

    private static void enableIpv6(NetworkNamespace ns) throws Exception {
        ns.run(() -> {
            for (String scope : new String[] {"all", "default", "eth0"}) {
                Files.writeString(Path.of("/proc/sys/net/ipv6/conf/" + scope + "/accept_dad"), "0");
                Files.writeString(Path.of("/proc/sys/net/ipv6/conf/" + scope + "/disable_ipv6"), "0");
            }
        });
        ns.ip("-6", "addr", "add", CLIENT6 + "/64", "dev", "eth0", "nodad");
        ns.ip("-6", "route", "add", "default", "via", "fe80::1", "dev", "eth0");
    }

    private static Agent start(AgentLab lab, Outside out) throws Exception {
        enableIpv6(lab.ns(1));
        lab.writeSpec("endpoints", "client.yaml", lab.endpointYaml(1, "{app: client}").replace(
                "addresses: { ipv4: " + AgentLab.ip(1) + " }",
                "addresses: { ipv4: " + AgentLab.ip(1) + ", ipv6: \"" + CLIENT6 + "\" }")
                + "build: { ipv6: true, dnsLearning: true }\n");
        StringBuilder names = new StringBuilder();
        for (String n : ALLOWED) {
            names.append(names.length() == 0 ? "" : ", ").append("{ matchName: ").append(n).append(".example.test }");
        }
        names.append(", { matchPattern: \"six*.example.test\" }");
        lab.writeSpec("policies", "client.yaml", """
                name: client-egress
                endpointSelector: { matchLabels: { app: client } }
                egress:
                  - toCIDR: [ 198.18.1.53/32, 198.18.1.54/32, "2001:db8:1::53/128" ]
                    toPorts: [ { port: 53, protocol: UDP }, { port: 53, protocol: TCP } ]
                  - toFQDNs: [ %s ]
                    toPorts: [ { port: 8080, protocol: TCP } ]
                """.formatted(names));
        DnsLearner.Options o = DnsLearner.Options.of(new PinLayout(lab.pinRoot).nodeDir(), false)
                .withStaleAfter(Duration.ofMillis(1000), Duration.ofMillis(100)).withMinTtl(Duration.ofSeconds(1))
                .withExpiryScan(Duration.ofHours(1)); // expiry runs when the test says (expireNow)
        Agent agent = lab.startDnsLearning(o, 1);
        // The client's first query over IPv6 goes unanswered within 1 s in about half the runs (6 of 13; with
        // accept_dad=0 or not, dnsmasq asked over IPv6 from its own namespace first or not): its answer reaches the
        // endpoint's program late, is held and re-delivered within 2-6 ms, finds dig's socket closed (Udp6NoPorts),
        // and the client's ICMPv6 error is denied by policy. Where the second goes is not known yet (not in Kiln's
        // hold). So wait until one is answered (NXDOMAIN; it teaches nothing), and print what to look at
        long t0 = System.nanoTime();
        int[] tries = {0};
        AgentLab.eventually("the client reaches the resolver over IPv6", () -> {
            tries[0]++;
            boolean answered = lab.ns(1).exec(List.of("dig", "+short", "+time=1", "+tries=1", "@" + RESOLVER6,
                    "ready.example.test")).exitCode() == 0;
            if (!answered && tries[0] == 1) { // what to look at, should it happen again
                Thread.sleep(1500); // let a late re-delivery land
                DnsLearner dl = agent.dnsLearner().orElseThrow();
                System.out.println("dns resolver: first IPv6 query unanswered; learner " + dl.dataplaneStats()
                        + ", redelivered " + dl.redelivered() + ", added latencies (us) "
                        + Arrays.toString(dl.recentLatenciesMicros()) + ", last error " + dl.lastError() + "; drops "
                        + AgentClient.unix(agent.apiSocket()).metrics().lines()
                        .filter(x -> x.startsWith("kiln_endpoint_drops_total") && !x.endsWith(" 0.0")).toList()
                        + "\n-- node ip -6 neigh\n" + lab.node.exec(List.of("ip", "-6", "neigh")).stdout()
                        + "-- outside ip -6 neigh\n" + out.ns.exec(List.of("ip", "-6", "neigh")).stdout()
                        + "-- client nstat\n" + lab.ns(1).exec(List.of("nstat", "-az", "Udp6*")).stdout());
            }
            return answered;
        }, () -> lab.node.exec(List.of("ip", "-6", "neigh")).stdout() + lab.ns(1).exec(List.of("ip", "-6", "addr")).stdout());
        if (tries[0] > 1) {
            System.out.println("dns resolver: the first IPv6 query was answered after " + tries[0] + " tries, "
                    + (System.nanoTime() - t0) / 1_000_000 + " ms");
        }
        return agent;
    }

    /** The addresses endpoint 1 learned for {@code name}, as text. */
    private static List<String> learned(DnsLearner l, String name) {
        return l.cache().entries(1).stream().filter(e -> e.name().equals(name))
                .map(e -> AddressLiterals.format(e.address())).sorted().toList();
    }

    /**
     * Looks up huge.example.test (120 addresses, ~2 KB) over TCP and connects at once to one of them; prints what
     * happened; true if it was learned or else counted ({@code stat} of the dataplane and the metric {@code line}
     * grew).
     */
    private static boolean huge(AgentLab lab, NetworkNamespace client, DnsLearner l, Agent agent, String how,
                                DnsEvent.Stat stat, String line) throws Exception {
        Map<DnsEvent.Stat, Long> before = l.dataplaneStats();
        String counted = metric(AgentClient.unix(agent.apiSocket()).metrics(), line);
        Dig huge = dig(client, RESOLVER, "huge.example.test", "+tcp");
        assertEquals(120, huge.addresses().size(), huge.out());
        boolean connected = connects(lab, "198.18.5.220");
        String now = metric(AgentClient.unix(agent.apiSocket()).metrics(), line);
        int learned = learned(l, "huge.example.test").size();
        System.out.println("dns resolver: ~2 KB TCP answer as " + how + ": first connect " + connected + ", learned "
                + learned + "; " + l.dataplaneStats() + " (before " + before + "); " + now + " (before " + counted + ")");
        return learned == 120 && connected || stat(l, stat) > before.get(stat) && !now.equals(counted);
    }

    private static long stat(DnsLearner l, DnsEvent.Stat s) {
        return l.dataplaneStats().getOrDefault(s, 0L);
    }

    private static String metric(String metrics, String line) {
        return metrics.lines().filter(l -> l.startsWith(line)).findFirst().orElse("(none: " + line + ")");
    }

    @Test
    void aRealResolverTeachesTheDataplaneOverBothFamiliesAndAllShapesOfAnswer(@TempDir Path tmp) throws Exception {
        try (AgentLab lab = AgentLab.create(tmp, 1); Outside out = new Outside(lab, tmp)) {
            Agent agent = start(lab, out);
            DnsLearner l = agent.dnsLearner().orElseThrow();
            NetworkNamespace client = lab.ns(1);

            // 1. AAAA over IPv6 only: the client asks the resolver's IPv6 address, and connects over IPv6
            Dig other6 = dig(client, RESOLVER6, "other.example.test", "AAAA");
            assertEquals(List.of(OTHER6), other6.addresses(), () -> other6.out() + l.dataplaneStats() + l.lastError());
            assertFalse(connects(lab, OTHER6), "other.example.test is no name of the client's rules");
            Dig api6 = dig(client, RESOLVER6, "api.example.test", "AAAA");
            assertEquals(List.of(API6), api6.addresses(), api6.out());
            assertTrue(connects(lab, API6), "api.example.test over IPv6, right after its AAAA answer: "
                    + l.dataplaneStats() + " " + l.lastError());
            assertEquals(List.of(API6), learned(l, "api.example.test"));
            String fqdn = AgentClient.unix(agent.apiSocket()).fqdn(1);
            assertTrue(fqdn.contains("api.example.test") && fqdn.contains(API6), fqdn);
            assertTrue(stat(l, DnsEvent.Stat.HELD) >= 2, "the AAAA answers over IPv6 were held: " + l.dataplaneStats());
            assertEquals(stat(l, DnsEvent.Stat.HELD), stat(l, DnsEvent.Stat.REDELIVERED), "held IPv6 answers came back");
            Dig v6tcp = dig(client, RESOLVER6, "v6tcp.example.test", "AAAA", "+tcp");
            assertEquals(List.of("2001:db8:1::20"), v6tcp.addresses(), v6tcp.out());
            assertTrue(connects(lab, "2001:db8:1::20"), "right after an AAAA answer over TCP over IPv6: "
                    + l.dataplaneStats() + " " + l.lastError());
            List<String> failed6 = new ArrayList<>();
            for (int i = 1; i <= PAIRS6; i++) { // an AAAA lookup (UDP socket), then a connect at once
                String name = "six" + i + ".example.test";
                if (!DnsClient.lookupAndConnect(client, RESOLVER6, name, org.xbill.DNS.Type.AAAA, PORT)) {
                    failed6.add(name);
                }
            }
            assertEquals(List.of(), failed6, "AAAA lookup-then-connect pairs: " + l.dataplaneStats());

            // 2. the record changes: the new address once looked up; the old one stays while a connection uses it
            assertEquals(List.of("198.18.2.1"), dig(client, RESOLVER, "moving.example.test").addresses());
            Socket onOld = open(lab, "198.18.2.1");
            out.writeHosts("198.18.2.2");
            out.reload();
            long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(5);
            while (!dig(client, RESOLVER, "moving.example.test").addresses().equals(List.of("198.18.2.2"))) {
                assertTrue(System.nanoTime() < deadline, "dnsmasq did not read its hosts file again");
                Thread.sleep(100);
            }
            Socket onNew = open(lab, "198.18.2.2"); // the first connect after the new answer
            assertEquals(List.of("198.18.2.1", "198.18.2.2"), learned(l, "moving.example.test"));
            Thread.sleep(1200); // both TTLs (1 s) have passed
            l.expireNow();
            assertEquals(List.of("198.18.2.1", "198.18.2.2"), learned(l, "moving.example.test"),
                    "past their TTL, both addresses are in use");
            onOld.close(); // its conntrack entry closes (CT_LIFETIME_TCP_CLOSING, 10 s): checked at the end
            long oldClosed = System.nanoTime();

            // 3. a CNAME chain: the question's name learns the address at the chain's end
            Dig www = dig(client, RESOLVER, "www.example.test");
            assertEquals(List.of("198.18.2.20"), www.addresses(), www.out());
            assertTrue(www.out().contains("CNAME"), www.out());
            assertTrue(connects(lab, "198.18.2.20"), "www.example.test -> web.cdn.test -> edge.cdn.test");
            assertEquals(List.of("198.18.2.20"), learned(l, "www.example.test"));
            assertEquals(List.of(), learned(l, "edge.cdn.test"), "a name no rule selects is not kept");

            // 4. many addresses in one answer, without EDNS (~350 bytes)
            Dig many = dig(client, RESOLVER, "many.example.test", "+noedns");
            assertEquals(20, many.addresses().size(), many.out());
            assertTrue(connects(lab, "198.18.3.17"));
            assertEquals(20, learned(l, "many.example.test").size());

            // 5. upper case: the answer repeats the question's case; the name is learned in lower case
            assertEquals(List.of("198.18.2.30"), dig(client, RESOLVER, "MiXeD.ExAmPlE.TeSt").addresses());
            assertTrue(connects(lab, "198.18.2.30"));
            assertEquals(List.of("198.18.2.30"), learned(l, "mixed.example.test"));

            // 6. over 512 bytes: over UDP with EDNS; truncated without it, then again over TCP
            Dig big = dig(client, RESOLVER, "big.example.test", "+edns=0", "+bufsize=1232");
            assertEquals(60, big.addresses().size(), big.out());
            assertFalse(big.overTcp(), big.out());
            assertTrue(connects(lab, "198.18.4.60"), "a ~1 KB UDP answer with EDNS");
            assertEquals(60, learned(l, "big.example.test").size());
            Map<DnsEvent.Stat, Long> before = l.dataplaneStats();
            String unparsedBefore = metric(AgentClient.unix(agent.apiSocket()).metrics(),
                    "kiln_dns_answers_total{result=\"unparsed\"}");
            Dig tc = dig(client, RESOLVER, "tc.example.test", "+noedns");
            assertEquals(60, tc.addresses().size(), tc.out());
            assertTrue(tc.overTcp(), tc.out());
            System.out.println("dns resolver: +noedns tc.example.test: " + (tc.out().contains("Truncated")
                    ? "truncated, retried over TCP" : "over TCP"));
            assertTrue(connects(lab, "198.18.5.60"), "the first connect after a TCP answer: " + l.dataplaneStats()
                    + " before " + before + " " + l.lastError());
            assertEquals(60, learned(l, "tc.example.test").size());
            String metrics = AgentClient.unix(agent.apiSocket()).metrics();
            System.out.println("dns resolver: after the TCP answer: " + l.dataplaneStats() + " (before " + before
                    + "); " + metric(metrics, "kiln_dns_answers_total{result=\"unparsed\"}"));
            assertEquals(before.get(DnsEvent.Stat.HELD) + 2, stat(l, DnsEvent.Stat.HELD),
                    "held: the truncated UDP answer and the TCP segment with the answer; no handshake or ACK segment");
            assertEquals(unparsedBefore, metric(metrics, "kiln_dns_answers_total{result=\"unparsed\"}"));

            // 7. an answer larger than one frame (TCP, ~2 KB): not learned, but never silently. As one GSO frame
            // (what a veth carries) it is too big to hold; as two segments (gso_max_segs 1) each is held and counted
            assertTrue(huge(lab, client, l, agent, "one GSO frame", DnsEvent.Stat.TOO_BIG,
                    "kiln_dns_held_answers_total{what=\"too_big\"}"));
            out.ns.ip("link", "set", "eth0", "gso_max_segs", "1");
            assertTrue(huge(lab, client, l, agent, "two segments", DnsEvent.Stat.HELD,
                    "kiln_dns_answers_total{result=\"tcp_split\"}"));
            Dig udp = dig(client, RESOLVER, "huge.example.test", "+bufsize=4096", "+ignore");
            System.out.println("dns resolver: huge.example.test over UDP with EDNS 4096: " + udp.addresses().size()
                    + " of 120 addresses reached the client; learned " + learned(l, "huge.example.test").size());

            // 8. Java's own resolver (getaddrinfo, /etc/resolv.conf of the namespace) and an immediate connect
            Path etc = Path.of("/etc/netns", client.name());
            boolean hadNetnsFolder = Files.isDirectory(etc.getParent());
            try {
                Files.createDirectories(etc);
                Files.writeString(etc.resolve("resolv.conf"), "nameserver " + RESOLVER + "\noptions timeout:1 attempts:2\n");
                Path probe = tmp.resolve("Probe.java");
                Files.writeString(probe, """
                        import java.net.*;
                        public class Probe {
                            public static void main(String[] a) throws Exception {
                                InetAddress addr = InetAddress.getByName(a[0]);
                                try (Socket s = new Socket()) {
                                    s.connect(new InetSocketAddress(addr, Integer.parseInt(a[1])), 1000);
                                    s.setSoTimeout(1000);
                                    System.out.println("connected " + addr.getHostAddress() + " " + s.getInputStream().read());
                                } catch (java.io.IOException e) {
                                    System.out.println("refused " + addr.getHostAddress() + " " + e);
                                }
                            }
                        }
                        """);
                String java = Path.of(System.getProperty("java.home"), "bin", "java").toString();
                Process p = new ProcessBuilder("ip", "netns", "exec", client.name(), java, "-Xshare:auto",
                        "-XX:TieredStopAtLevel=1", probe.toString(), "java.example.test", String.valueOf(PORT))
                        .redirectErrorStream(true).start();
                ByteArrayOutputStream got = new ByteArrayOutputStream();
                Thread reader = new Thread(() -> {
                    try {
                        p.getInputStream().transferTo(got);
                    } catch (IOException e) {
                        // the process went
                    }
                });
                reader.start();
                boolean done = p.waitFor(60, TimeUnit.SECONDS);
                if (!done) {
                    p.destroyForcibly();
                }
                reader.join(2000);
                String printed = got.toString(StandardCharsets.UTF_8);
                assertTrue(done && printed.contains("connected 198.18.2.40 107"), printed);
                assertEquals(List.of("198.18.2.40"), learned(l, "java.example.test"));
            } finally {
                Files.deleteIfExists(etc.resolve("resolv.conf"));
                Files.deleteIfExists(etc);
                if (!hadNetnsFolder) {
                    try {
                        Files.deleteIfExists(etc.getParent()); // the host's /etc as it was
                    } catch (java.nio.file.DirectoryNotEmptyException someoneElses) {
                        // another namespace's files went there meanwhile: not ours to remove
                    }
                }
            }

            // the old address of moving.example.test goes once its last connection has closed
            assertTrue(agent.reconciler().awaitSettled(Duration.ofSeconds(10)));
            deadline = oldClosed + TimeUnit.SECONDS.toNanos(15);
            while (learned(l, "moving.example.test").contains("198.18.2.1")) {
                assertTrue(System.nanoTime() < deadline, "the old address stayed: " + learned(l, "moving.example.test"));
                l.expireNow();
                Thread.sleep(250);
            }
            assertEquals(List.of("198.18.2.2"), learned(l, "moving.example.test"), "the new one's connection is open");
            assertTrue(agent.reconciler().awaitSettled(Duration.ofSeconds(10)));
            assertFalse(connects(lab, "198.18.2.1"), "the old address left the rule");
            onNew.close();
            assertEquals(stat(l, DnsEvent.Stat.HELD), stat(l, DnsEvent.Stat.REDELIVERED), "every held answer came back");
        }
    }

    // ---- hostile answers ----

    /** The wire name of {@code name}. */
    private static byte[] wireName(String name) {
        ByteArrayOutputStream b = new ByteArrayOutputStream();
        for (String label : name.split("\\.")) {
            b.write(label.length());
            b.writeBytes(label.getBytes(StandardCharsets.US_ASCII));
        }
        b.write(0);
        return b.toByteArray();
    }

    /**
     * An answer to {@code query} (its id and question kept): header flags QR|RD|RA, counts as given,
     * then the question, then {@code records} as raw bytes.
     */
    private static byte[] answer(byte[] query, int qd, int an, byte[] question, byte[] records) {
        ByteArrayOutputStream b = new ByteArrayOutputStream();
        b.write(query[0]);
        b.write(query[1]);
        b.writeBytes(new byte[] {(byte) 0x81, (byte) 0x80, 0, (byte) qd, (byte) (an >> 8), (byte) an, 0, 0, 0, 0});
        b.writeBytes(question);
        b.writeBytes(records);
        return b.toByteArray();
    }

    private static final byte[] QUESTION;
    static {
        byte[] n = wireName("hostile.example.test");
        QUESTION = Arrays.copyOf(n, n.length + 4);
        QUESTION[n.length + 1] = 1; // type A
        QUESTION[n.length + 3] = 1; // class IN
    }

    /** An A record for 198.18.2.66 with owner bytes {@code owner} and rdlength {@code rdlen} (4 bytes of data follow). */
    private static byte[] aRecord(byte[] owner, int rdlen) {
        ByteArrayOutputStream b = new ByteArrayOutputStream();
        b.writeBytes(owner);
        b.writeBytes(new byte[] {0, 1, 0, 1, 0, 0, 0, 60, (byte) (rdlen >> 8), (byte) rdlen, (byte) 198, 18, 2, 66});
        return b.toByteArray();
    }

    private static byte[] concat(byte[]... parts) {
        ByteArrayOutputStream b = new ByteArrayOutputStream();
        for (byte[] p : parts) {
            b.writeBytes(p);
        }
        return b.toByteArray();
    }

    /** Malformed answers about hostile.example.test, each carrying 198.18.2.66 in a way a lax reader might take. */
    static Map<String, UnaryOperator<byte[]>> hostileAnswers() {
        int answerAt = 12 + QUESTION.length;
        byte[] toQuestion = {(byte) 0xc0, 12};
        Map<String, UnaryOperator<byte[]>> m = new LinkedHashMap<>();
        m.put("compression pointer past the end", q -> answer(q, 1, 1, QUESTION, aRecord(new byte[] {(byte) 0xc0, (byte) 0xff}, 4)));
        m.put("compression pointer to itself", q -> answer(q, 1, 1, QUESTION,
                aRecord(new byte[] {(byte) 0xc0, (byte) answerAt}, 4)));
        m.put("two pointers to each other", q -> answer(q, 1, 1, QUESTION, aRecord(new byte[] {3, 'w', 'w', 'w',
                (byte) 0xc0, (byte) (answerAt + 6), (byte) 0xc0, (byte) answerAt}, 4)));
        m.put("question name a pointer loop", q -> answer(q, 1, 1, new byte[] {(byte) 0xc0, 12, 0, 1, 0, 1},
                aRecord(toQuestion, 4)));
        m.put("rdlength past the end", q -> answer(q, 1, 1, QUESTION, aRecord(toQuestion, 200)));
        m.put("label length past the end", q -> answer(q, 1, 1, QUESTION, new byte[] {63, 'a', 'b'}));
        m.put("ANCOUNT 65535 with one record", q -> answer(q, 1, 65535, QUESTION, aRecord(toQuestion, 4)));
        m.put("A record of 16 bytes", q -> answer(q, 1, 1, QUESTION, concat(aRecord(toQuestion, 16), new byte[12])));
        m.put("reserved label type 0x40", q -> answer(q, 1, 1, QUESTION, aRecord(new byte[] {0x40, 1, 'a', 0}, 4)));
        m.put("CNAME loop", q -> answer(q, 1, 3, QUESTION, concat(
                new byte[] {(byte) 0xc0, 12, 0, 5, 0, 1, 0, 0, 0, 60, 0, 6, 3, 'l', 'o', 'p', (byte) 0xc0, 12 + 8},
                new byte[] {3, 'l', 'o', 'p', (byte) 0xc0, 12 + 8, 0, 5, 0, 1, 0, 0, 0, 60, 0, 2, (byte) 0xc0, 12},
                aRecord(toQuestion, 4))));
        m.put("header only", q -> Arrays.copyOf(q, 11));
        m.put("no question", q -> answer(q, 0, 1, new byte[0], aRecord(wireName("hostile.example.test"), 4)));
        return m;
    }

    @Test
    void malformedAndHostileAnswersAreNeitherLearnedNorStopTheAgent(@TempDir Path tmp) throws Exception {
        try (AgentLab lab = AgentLab.create(tmp, 1); Outside out = new Outside(lab, tmp)) {
            Agent agent = start(lab, out);
            DnsLearner l = agent.dnsLearner().orElseThrow();
            AgentClient api = AgentClient.unix(agent.apiSocket());
            long held = stat(l, DnsEvent.Stat.HELD);
            List<String> failures = new ArrayList<>();
            int rounds = 0;
            for (int round = 0; round < 3; round++) { // each shape more than once: a stalled worker would show
                for (Map.Entry<String, UnaryOperator<byte[]>> h : hostileAnswers().entrySet()) {
                    out.answer.set(h.getValue());
                    byte[] query = query("hostile.example.test");
                    byte[] expected = h.getValue().apply(query);
                    byte[] got = lab.ns(1).call(() -> ask(HOSTILE, query));
                    rounds++;
                    if (got == null || !Arrays.equals(expected, got)) {
                        failures.add(h.getKey() + ": " + (got == null ? "no answer" : got.length + " bytes"));
                    }
                }
            }
            assertEquals(List.of(), failures, "every malformed answer is re-delivered intact (the client decides): "
                    + l.dataplaneStats() + " " + l.lastError());
            assertEquals(List.of(), learned(l, "hostile.example.test"), "nothing learned from them");
            assertFalse(connects(lab, "198.18.2.66"));
            assertEquals(held + rounds, stat(l, DnsEvent.Stat.HELD), l.dataplaneStats().toString());
            String metrics = api.metrics();
            assertEquals("kiln_dns_answers_total{result=\"unparsed\"} " + rounds + ".0",
                    metric(metrics, "kiln_dns_answers_total{result=\"unparsed\"}"), l.lastError());
            assertTrue(l.lastError() != null && l.lastError().startsWith("endpoint 1: "), l.lastError());
            assertTrue(api.fqdn(1).contains("\"entries\""), "the API answers");

            // a good answer afterwards is learned, and its first connect works
            out.answer.set(q -> answer(q, 1, 1, QUESTION, aRecord(new byte[] {(byte) 0xc0, 12}, 4)));
            assertArrayEquals(out.answer.get().apply(query("hostile.example.test")),
                    lab.ns(1).call(() -> ask(HOSTILE, query("hostile.example.test"))));
            assertTrue(connects(lab, "198.18.2.66"), l.dataplaneStats() + " " + l.lastError());
            assertEquals(List.of("198.18.2.66"), learned(l, "hostile.example.test"));
        }
    }

    private static byte[] query(String name) {
        byte[] n = wireName(name);
        ByteArrayOutputStream b = new ByteArrayOutputStream();
        b.writeBytes(new byte[] {0x4b, 0x4e, 1, 0, 0, 1, 0, 0, 0, 0, 0, 0});
        b.writeBytes(n);
        b.writeBytes(new byte[] {0, 1, 0, 1});
        return b.toByteArray();
    }

    /** Sends {@code query} to server:53 over UDP; the answer's bytes, or null within 1 s. */
    private static byte[] ask(String server, byte[] query) throws IOException {
        try (DatagramSocket s = new DatagramSocket()) {
            s.setSoTimeout(1000);
            s.send(new DatagramPacket(query, query.length, new InetSocketAddress(server, 53)));
            byte[] buf = new byte[1500];
            DatagramPacket p = new DatagramPacket(buf, buf.length);
            s.receive(p);
            return Arrays.copyOf(buf, p.getLength());
        } catch (SocketTimeoutException e) {
            return null;
        }
    }
}
