package io.kiln.agent.dataplane;

import io.kiln.agent.Agent;
import io.kiln.lab.Command;
import io.kiln.lab.NetworkNamespace;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.net.DatagramPacket;
import java.net.DatagramSocket;
import java.net.InetSocketAddress;
import java.net.SocketTimeoutException;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * DNS rules on queries end to end: dnsmasq in a namespace of the test's own ("outside", routed through
 * the node namespace) serves a zone on 198.18.0.0/15; endpoint 1 may ask it only for
 * {@code api.example.test} and {@code *.example.org}. Allowed names resolve with {@code dig}, in any
 * case; another name gets REFUSED at once from the dataplane and never reaches dnsmasq (its query
 * log); hostile and TCP queries get nothing; all of it counted in {@code kiln_endpoint_drops_total}.
 * Removing the rules lets every name through again.
 */
class DnsQueryRulesKernelTest {
    private static final String RESOLVER = "198.18.1.53";
    private static final String API = "198.18.1.10";
    private static final String WWW = "198.18.1.11";
    private static final String OTHER = "198.18.1.12";

    /** The outside: dnsmasq logging every query it gets ({@link DnsOutside#log()}). */
    private static DnsOutside outside(AgentLab lab, Path tmp) throws Exception {
        return DnsOutside.builder("dnsqext", tmp).resolver(RESOLVER).endpoint(1)
                .dnsmasq("--log-queries", "--host-record=api.example.test," + API,
                        "--host-record=www.example.org," + WWW, "--host-record=other.example.test," + OTHER)
                .awaitAnswer(RESOLVER, "api.example.test", API).start(lab);
    }

    static String digShort(NetworkNamespace ns, String name) {
        Command.Result r = ns.exec(List.of("dig", "+short", "+time=1", "+tries=1", "@" + RESOLVER, name));
        return r.exitCode() == 0 ? r.stdout().trim() : "";
    }

    /** dig's whole output, and how long it took (ms). */
    record Dig(String out, long millis) {
        String status() {
            int i = out.indexOf("status: ");
            return i < 0 ? "(no answer)" : out.substring(i + 8, out.indexOf(',', i));
        }
    }

    static Dig dig(NetworkNamespace ns, String... args) {
        List<String> cmd = new java.util.ArrayList<>(List.of("dig", "+time=2", "+tries=1", "@" + RESOLVER));
        cmd.addAll(List.of(args));
        long t0 = System.nanoTime();
        Command.Result r = ns.exec(cmd);
        return new Dig(r.stdout() + r.stderr(), (System.nanoTime() - t0) / 1_000_000);
    }

    /** The value of the drop counter of endpoint 1, direction egress, for {@code reason} (0 when absent). */
    static long drops(Agent agent, String reason) throws Exception {
        String metrics = io.kiln.agent.api.AgentClient.unix(agent.apiSocket()).metrics();
        return metrics.lines().filter(l -> l.startsWith("kiln_endpoint_drops_total{") && l.contains("endpoint=\"1\"")
                        && l.contains("direction=\"egress\"") && l.contains("reason=\"" + reason + "\""))
                .mapToLong(l -> (long) Double.parseDouble(l.substring(l.lastIndexOf(' ') + 1))).sum();
    }

    /** A raw UDP query from endpoint 1: true when any answer came back within 1 s. */
    static boolean answered(AgentLab lab, byte[] query) throws Exception {
        return lab.ns(1).call(() -> {
            try (DatagramSocket s = new DatagramSocket()) {
                s.setSoTimeout(1000);
                s.send(new DatagramPacket(query, query.length, new InetSocketAddress(RESOLVER, 53)));
                s.receive(new DatagramPacket(new byte[1500], 1500));
                return true;
            } catch (SocketTimeoutException e) {
                return false;
            }
        });
    }

    private static byte[] rawQuery(byte[] qname) {
        java.nio.ByteBuffer b = java.nio.ByteBuffer.allocate(12 + qname.length + 4);
        b.putShort((short) 0x4242).putShort((short) 0x0100).putShort((short) 1).putShort((short) 0)
                .putShort((short) 0).putShort((short) 0).put(qname).putShort((short) 1).putShort((short) 1);
        return b.array();
    }

    private static final String RULES = """
            name: client-dns
            endpointSelector: { matchLabels: { app: client } }
            egress:
              - toCIDR: [ 198.18.1.53/32 ]
                toPorts:
                  - port: 53
                    protocol: ANY
                    dns: [ { matchName: api.example.test }, { matchPattern: "*.example.org" } ]
            """;

    @Test
    void onlyAllowedNamesReachTheResolverTheRestIsRefusedAtOnceAndCounted(@TempDir Path tmp) throws Exception {
        try (AgentLab lab = AgentLab.create(tmp, 1); DnsOutside out = outside(lab, tmp)) {
            lab.writeSpec("endpoints", "client.yaml", lab.endpointYaml(1, "{app: client}"));
            lab.writeSpec("policies", "client.yaml", RULES);
            Agent agent = lab.start(lab.agent(lab.dataplane()).specDirectory(lab.specDir, Duration.ofSeconds(2))
                    .api(true));
            lab.awaitReady(agent, 1);

            assertEquals(API, digShort(lab.ns(1), "api.example.test"), out.log());
            assertEquals(API, digShort(lab.ns(1), "API.Example.TEST"), "upper case matches too");
            assertEquals(WWW, digShort(lab.ns(1), "www.example.org"));
            assertEquals(WWW, digShort(lab.ns(1), "WWW.EXAMPLE.ORG."));

            Dig refused = dig(lab.ns(1), "other.example.test");
            assertEquals("REFUSED", refused.status(), refused.out());
            assertTrue(refused.millis() < 1500, "answered at once, not a timeout: " + refused.millis() + " ms");
            assertTrue(refused.out().contains("from " + RESOLVER) || refused.out().contains("SERVER: " + RESOLVER),
                    "from the address asked: " + refused.out());
            assertFalse(refused.out().contains("recursion requested but not available"), refused.out());
            assertEquals("REFUSED", dig(lab.ns(1), "a.b.example.org").status(), "one label before the suffix only");
            assertEquals("REFUSED", dig(lab.ns(1), "example.org").status());
            assertEquals("REFUSED", dig(lab.ns(1), "+norecurse", "evil.example.net").status());
            assertEquals(4, drops(agent, "DNS_REFUSED"));

            // hostile queries: nothing comes back, nothing passes, each counted
            byte[] label64 = new byte[66];
            label64[0] = 64;
            java.util.Arrays.fill(label64, 1, 65, (byte) 'a');
            for (byte[] qname : List.of(new byte[] {(byte) 0xc0, 12}, label64,
                    new byte[] {3, 'a', 'p', 'i', (byte) 0xc0, 12})) {
                assertFalse(answered(lab, rawQuery(qname)), "a hostile query gets no answer");
            }
            byte[] longName = new byte[5 * 64 + 1];
            for (int i = 0; i < 5; i++) {
                longName[i * 64] = 63;
                java.util.Arrays.fill(longName, i * 64 + 1, i * 64 + 64, (byte) 'a');
            }
            assertFalse(answered(lab, rawQuery(longName)), "a 321-byte name gets no answer");
            assertEquals(4, drops(agent, "DNS_QUERY_MALFORMED"));
            Dig tcp = dig(lab.ns(1), "+tcp", "api.example.test");
            assertEquals("(no answer)", tcp.status(), tcp.out());
            assertTrue(drops(agent, "DNS_QUERY_TCP") >= 1);

            String log = out.log();
            assertTrue(log.contains("query[A] api.example.test"), log);
            assertFalse(log.contains("other.example.test"), "a refused query never reached the resolver: " + log);
            assertFalse(log.contains("evil.example.net"), log);
            assertFalse(log.contains("aaaa"), "no hostile name reached it: " + log);

            // the rules go: every name resolves again (a policy-only change)
            lab.writeSpec("policies", "client.yaml", RULES.replace(
                    "    dns: [ { matchName: api.example.test }, { matchPattern: \"*.example.org\" } ]\n", ""));
            AgentLab.eventually("the rules are gone", () -> OTHER.equals(digShort(lab.ns(1), "other.example.test")),
                    out::log);
            long refusals = drops(agent, "DNS_REFUSED"); // the tries before the change was applied were refused
            assertEquals(OTHER, digShort(lab.ns(1), "other.example.test"));
            assertEquals(API, digShort(lab.ns(1), "api.example.test"));
            assertEquals(refusals, drops(agent, "DNS_REFUSED"), "nothing refused any more");
            assertTrue(out.log().contains("other.example.test"), "the resolver got it this time");
        }
    }
}
