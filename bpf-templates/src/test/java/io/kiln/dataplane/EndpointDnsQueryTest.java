package io.kiln.dataplane;

import io.kiln.lab.PacketView;
import io.kiln.lab.Packets;
import io.kiln.templates.DnsEvent;
import io.kiln.templates.DnsRules;
import io.kiln.templates.EndpointBpf.DropReason;
import io.kiln.testing.TemplateUnderTest;
import io.kiln.testing.TestRun;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

import java.io.ByteArrayOutputStream;
import java.net.InetAddress;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;

import static io.kiln.dataplane.EndpointMaps.ALLOW;
import static io.kiln.dataplane.EndpointMaps.DIR_EGRESS;
import static io.kiln.dataplane.EndpointMaps.DIR_INGRESS;
import static io.kiln.dataplane.EndpointMaps.IDENTITY_ANY;
import static io.kiln.dataplane.Fixture.EP;
import static io.kiln.dataplane.Fixture.REMOTE;
import static io.kiln.dataplane.Fixture.fromEndpoint;
import static io.kiln.dataplane.Fixture.load;
import static io.kiln.dataplane.Fixture.packets;
import static io.kiln.dataplane.Fixture.policy;
import static io.kiln.lab.Packets.IPPROTO_TCP;
import static io.kiln.lab.Packets.IPPROTO_UDP;
import static io.kiln.lab.Packets.TCP_SYN;
import static io.kiln.testing.TestRun.TC_ACT_OK;
import static io.kiln.testing.TestRun.TC_ACT_REDIRECT;
import static io.kiln.testing.TestRun.TC_ACT_SHOT;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;

/**
 * DNS rules on queries (dns_query.h): an endpoint with a marker in dns_rules may ask only for the
 * names (and one-label-more suffixes) there; any other query is answered REFUSED in place and sent
 * back to the endpoint; TCP and malformed queries are dropped; an endpoint without a marker is untouched.
 */
class EndpointDnsQueryTest {
    private static final String REMOTE6 = "2001:2::20";

    /** A standard query (RD set) for a question name given in wire format, with an EDNS OPT record. */
    static byte[] query(int id, byte[] qname, int flags, int qdcount, boolean edns) {
        ByteBuffer b = ByteBuffer.allocate(12 + qname.length + 4 + 11);
        b.putShort((short) id).putShort((short) flags).putShort((short) qdcount).putShort((short) 0)
                .putShort((short) 0).putShort((short) (edns ? 1 : 0));
        b.put(qname).putShort((short) 1).putShort((short) 1);
        if (edns) {
            b.put((byte) 0).putShort((short) 41).putShort((short) 1232).putInt(0).putShort((short) 0);
        }
        return Arrays.copyOf(b.array(), b.position());
    }

    static byte[] query(String name) {
        return query(0x1234, wire(name), 0x0100, 1, true);
    }

    /** Wire format keeping the case as given (DnsRules.wire lowers it). */
    static byte[] wire(String name) {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        for (String label : name.split("\\.")) {
            out.write(label.length());
            out.writeBytes(label.getBytes(StandardCharsets.US_ASCII));
        }
        out.write(0);
        return out.toByteArray();
    }

    private static void rules(TemplateUnderTest t, int flags) {
        t.map("dns_rules").put(DnsRules.markerKey(EP.id()), DnsRules.value(flags));
        t.map("dns_rules").put(DnsRules.key(EP.id(), DnsRules.NAME, "api.example.test"), DnsRules.value(0));
        t.map("dns_rules").put(DnsRules.key(EP.id(), DnsRules.SUFFIX, "example.org"), DnsRules.value(0));
    }

    private static TemplateUnderTest withDnsAllowed(Object... parameters) {
        TemplateUnderTest t = load(parameters);
        policy(t, IDENTITY_ANY, 53, IPPROTO_UDP, DIR_EGRESS, ALLOW);
        policy(t, IDENTITY_ANY, 53, IPPROTO_TCP, DIR_EGRESS, ALLOW);
        return t;
    }

    private static long stat(TemplateUnderTest t, DnsRules.Stat s) {
        return t.map("dns_stats").sumU64(s.key(), 0);
    }

    private static byte[] udpQuery(byte[] dns) {
        return fromEndpoint(REMOTE).udp(40000, 53).payload(dns).build();
    }

    /** Checks an answer built from {@code query}: addresses, ports, flags, counts, the question as asked. */
    private static void assertRefusal(TestRun run, byte[] query, String from, String to) throws Exception {
        run.assertVerdict(TC_ACT_REDIRECT).assertMark(DnsRules.MARK_REFUSED);
        PacketView v = run.view().assertChecksumsValid();
        assertEquals(EP.mac(), v.ethDst());
        assertEquals(EP.nodeMac(), v.ethSrc());
        assertEquals(InetAddress.getByName(from), InetAddress.getByName(v.src()));
        assertEquals(InetAddress.getByName(to), InetAddress.getByName(v.dst()));
        assertEquals(53, v.sport());
        assertEquals(40000, v.dport());
        byte[] dns = v.payload();
        int questionEnd = query.length - 11; // the OPT record is cut off
        assertEquals(questionEnd, dns.length, "header and question only");
        assertEquals(query[0], dns[0]);
        assertEquals(query[1], dns[1]);
        assertEquals(0x81, dns[2] & 0xff, "QR, opcode QUERY, RD copied");
        assertEquals(0x85, dns[3] & 0xff, "RA as RD, RCODE REFUSED");
        assertArrayEquals(new byte[] {0, 1, 0, 0, 0, 0, 0, 0}, Arrays.copyOfRange(dns, 4, 12));
        assertArrayEquals(Arrays.copyOfRange(query, 12, questionEnd), Arrays.copyOfRange(dns, 12, questionEnd),
                "the question as the endpoint asked it");
    }

    @Test
    void anEndpointWithoutRulesIsUntouched() {
        try (TemplateUnderTest t = withDnsAllowed("loadBalancing", false)) {
            t.map("dns_rules").put(DnsRules.markerKey(EP.id() + 1), DnsRules.value(0)); // another endpoint's rules
            for (byte[] frame : new byte[][] {udpQuery(query("evil.test")),
                    udpQuery(query(1, new byte[] {(byte) 0xc0, 12}, 0x0100, 1, false)),
                    fromEndpoint(REMOTE).tcp(40000, 53, TCP_SYN).build()}) {
                assertArrayEquals(frame, t.run("from_endpoint", frame).assertVerdict(TC_ACT_OK).packet());
            }
            assertEquals(0, stat(t, DnsRules.Stat.QUERY_REFUSED) + stat(t, DnsRules.Stat.QUERY_DROPPED));
        }
    }

    @ParameterizedTest
    @ValueSource(strings = {"constants", "node"})
    void allowedNamesPassUnchangedInAnyCaseAndOthersAreRefusedInPlace(String configSource) throws Exception {
        try (TemplateUnderTest t = withDnsAllowed("loadBalancing", false, "configSource", configSource)) {
            rules(t, 0);
            for (String allowed : new String[] {"api.example.test", "API.Example.TEST", "x.example.org",
                    "Web-1.EXAMPLE.org"}) {
                byte[] frame = udpQuery(query(allowed));
                assertArrayEquals(frame, t.run("from_endpoint", frame).assertVerdict(TC_ACT_OK).packet(), allowed);
            }
            String[] refused = {"evil.test", "example.org", "a.b.example.org", "api.example.test.evil",
                    "pi.example.test", "xapi.example.test", "api.example.tes"};
            for (String name : refused) {
                byte[] q = query(name);
                assertRefusal(t.run("from_endpoint", udpQuery(q)), q, REMOTE, EP.ipv4());
            }
            assertEquals(refused.length, packets(t, DIR_EGRESS, DropReason.DNS_REFUSED));
            assertEquals(refused.length, stat(t, DnsRules.Stat.QUERY_REFUSED));
            assertEquals(4, packets(t, DIR_EGRESS, DropReason.FORWARDED));
        }
    }

    @Test
    void theRefusalGoesBackToTheEndpointWithoutConntrackOrPolicy() throws Exception {
        try (TemplateUnderTest t = withDnsAllowed("loadBalancing", false)) {
            rules(t, 0);
            TestRun refusal = t.run("from_endpoint", udpQuery(query("evil.test")));
            refusal.assertVerdict(TC_ACT_REDIRECT);
            // no ingress rule allows anything from REMOTE: only the mark lets it in
            t.run("to_endpoint", refusal.packet(), DnsRules.MARK_REFUSED).assertVerdict(TC_ACT_OK);
            t.run("to_endpoint", refusal.packet()).assertVerdict(TC_ACT_SHOT);
            assertEquals(1, packets(t, DIR_INGRESS, DropReason.FORWARDED));
            assertEquals(1, packets(t, DIR_INGRESS, DropReason.POLICY_DENIED));
        }
    }

    @Test
    void aRefusalIsNotHeldForTheDnsLearner() {
        try (TemplateUnderTest t = withDnsAllowed("loadBalancing", false, "dnsLearning", true)) {
            rules(t, 0);
            t.map("dns_agent").put(new byte[4], DnsEvent.agentValue(System.nanoTime(), 1_000_000_000L, false));
            TestRun refusal = t.run("from_endpoint", udpQuery(query("evil.test")));
            refusal.assertVerdict(TC_ACT_REDIRECT);
            t.run("to_endpoint", refusal.packet(), DnsRules.MARK_REFUSED).assertVerdict(TC_ACT_OK);
            assertEquals(0, packets(t, DIR_INGRESS, DropReason.DNS_HELD), "it has no address to learn");
            assertEquals(1, packets(t, DIR_INGRESS, DropReason.FORWARDED));
        }
    }

    @Test
    void everyNameWithTheAnyMarkerButTcpIsStillDropped() {
        try (TemplateUnderTest t = withDnsAllowed("loadBalancing", false)) {
            rules(t, DnsRules.ANY_NAME);
            byte[] frame = udpQuery(query("evil.test"));
            assertArrayEquals(frame, t.run("from_endpoint", frame).assertVerdict(TC_ACT_OK).packet());
            t.run("from_endpoint", fromEndpoint(REMOTE).tcp(40000, 53, TCP_SYN).build()).assertVerdict(TC_ACT_SHOT);
            assertEquals(1, packets(t, DIR_EGRESS, DropReason.DNS_QUERY_TCP));
        }
    }

    @Test
    void hostileQueriesAreDroppedNeverPassed() {
        try (TemplateUnderTest t = withDnsAllowed("loadBalancing", false)) {
            rules(t, 0);
            byte[] api = wire("api.example.test");
            byte[] overlong = new byte[5 * 64 + 1];
            for (int i = 0; i < 5; i++) {
                overlong[i * 64] = 63;
                Arrays.fill(overlong, i * 64 + 1, i * 64 + 64, (byte) 'a');
            }
            byte[] label64 = new byte[66];
            label64[0] = 64;
            Arrays.fill(label64, 1, 65, (byte) 'a');
            byte[] pointerAfterApi = Arrays.copyOf(api, 6); // "\3api" then a pointer to offset 12
            pointerAfterApi[4] = (byte) 0xc0;
            pointerAfterApi[5] = 12;
            byte[][] hostile = {
                    query(1, new byte[] {(byte) 0xc0, 12}, 0x0100, 1, false),   // compression pointer
                    query(1, pointerAfterApi, 0x0100, 1, false),                // pointer after a label
                    query(1, label64, 0x0100, 1, false),                        // label length 64
                    query(1, overlong, 0x0100, 1, false),                       // 321 bytes of name
                    query(1, new byte[] {(byte) 0x80, 'a'}, 0x0100, 1, false),  // reserved label type
                    query(1, api, 0x8100, 1, false),                            // QR=1: an answer
                    query(1, api, 0x2800, 1, false),                            // opcode UPDATE
                    query(1, api, 0x0100, 2, false),                            // two questions
                    Arrays.copyOf(query(1, api, 0x0100, 1, false), 12 + 10),    // name cut short
                    Arrays.copyOf(query(1, api, 0x0100, 1, false), 12 + api.length + 2), // no QCLASS
                    new byte[5],                                                // no header
            };
            for (byte[] dns : hostile) {
                t.run("from_endpoint", udpQuery(dns)).assertVerdict(TC_ACT_SHOT);
            }
            t.run("from_endpoint", fromEndpoint(REMOTE).tcp(40000, 53, TCP_SYN).build()).assertVerdict(TC_ACT_SHOT);
            assertEquals(hostile.length, packets(t, DIR_EGRESS, DropReason.DNS_QUERY_MALFORMED));
            assertEquals(1, packets(t, DIR_EGRESS, DropReason.DNS_QUERY_TCP));
            assertEquals(hostile.length + 1, stat(t, DnsRules.Stat.QUERY_DROPPED));
            assertEquals(0, packets(t, DIR_EGRESS, DropReason.FORWARDED));
        }
    }

    @Test
    void aNameOf255BytesIsJudgedAndRefused() throws Exception {
        try (TemplateUnderTest t = withDnsAllowed("loadBalancing", false)) {
            rules(t, 0);
            StringBuilder name = new StringBuilder();
            for (int i = 0; i < 3; i++) {
                name.append("a".repeat(63)).append('.');
            }
            name.append("b".repeat(61)); // 3 * 64 + 62 + 1 = 255 bytes of wire name
            byte[] w = wire(name.toString());
            assertEquals(255, w.length);
            byte[] q = query(7, w, 0x0000, 1, true);
            TestRun run = t.run("from_endpoint", udpQuery(q));
            run.assertVerdict(TC_ACT_REDIRECT);
            PacketView v = run.view().assertChecksumsValid();
            assertEquals(0x80, v.payload()[2] & 0xff, "RD clear stays clear");
            assertEquals(0x05, v.payload()[3] & 0xff, "RA clear, REFUSED");
            assertEquals(12 + 255 + 4, v.payload().length);
        }
    }

    @Test
    void auditPassesWhatItWouldRefuseAndCountsIt() {
        try (TemplateUnderTest t = withDnsAllowed("loadBalancing", false, "policyMode", "audit")) {
            rules(t, 0);
            byte[] frame = udpQuery(query("evil.test"));
            assertArrayEquals(frame, t.run("from_endpoint", frame).assertVerdict(TC_ACT_OK).packet());
            assertEquals(1, packets(t, DIR_EGRESS, DropReason.POLICY_AUDIT));
            assertEquals(1, stat(t, DnsRules.Stat.QUERY_REFUSED));
        }
    }

    @Test
    void policyModeOffHasNoDnsRules() {
        try (TemplateUnderTest t = withDnsAllowed("loadBalancing", false, "policyMode", "off")) {
            rules(t, 0);
            byte[] frame = udpQuery(query("evil.test"));
            assertArrayEquals(frame, t.run("from_endpoint", frame).assertVerdict(TC_ACT_OK).packet());
        }
    }

    @ParameterizedTest
    @ValueSource(strings = {"constants", "node"})
    void ipv6QueriesAreJudgedTheSameWay(String configSource) throws Exception {
        try (TemplateUnderTest t = withDnsAllowed("ipv6", true, "configSource", configSource)) {
            rules(t, 0);
            byte[] ok = Packets.ethernet(EP.mac(), EP.nodeMac()).ipv6(EP.ipv6(), REMOTE6).udp(40000, 53)
                    .payload(query("Api.Example.Test")).build();
            assertArrayEquals(ok, t.run("from_endpoint", ok).assertVerdict(TC_ACT_OK).packet());
            byte[] q = query("evil.test");
            byte[] refused = Packets.ethernet(EP.mac(), EP.nodeMac()).ipv6(EP.ipv6(), REMOTE6).udp(40000, 53)
                    .payload(q).build();
            assertRefusal(t.run("from_endpoint", refused), q, REMOTE6, EP.ipv6());
            t.run("from_endpoint", Packets.ethernet(EP.mac(), EP.nodeMac()).ipv6(EP.ipv6(), REMOTE6).udp(40000, 53)
                    .payload(query(1, new byte[] {(byte) 0xc0, 12}, 0x0100, 1, false)).build())
                    .assertVerdict(TC_ACT_SHOT);
            assertEquals(1, packets(t, DIR_EGRESS, DropReason.DNS_REFUSED));
            assertEquals(1, packets(t, DIR_EGRESS, DropReason.DNS_QUERY_MALFORMED));
        }
    }
}
