package io.kiln.agent.fqdn;

import org.junit.jupiter.api.Test;
import org.xbill.DNS.Type;

import java.net.InetAddress;
import java.time.Duration;
import java.util.Arrays;
import java.util.HexFormat;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTimeoutPreemptively;
import static org.junit.jupiter.api.Assertions.assertTrue;

class DnsAnswersTest {
    private static InetAddress ip(String s) throws Exception {
        return InetAddress.getByName(s);
    }

    @Test
    void anAnswerTeachesItsAddresses() throws Exception {
        DnsAnswer a = DnsAnswers.parse(new DnsWire("api.example.test", Type.A)
                .a("api.example.test", "198.18.5.1", 300).a("api.example.test", "198.18.5.2", 60).wire());
        assertEquals("api.example.test", a.question());
        assertEquals(0, a.rcode());
        assertEquals(List.of(new DnsAnswer.Learned("api.example.test", ip("198.18.5.1"), 300),
                new DnsAnswer.Learned("api.example.test", ip("198.18.5.2"), 60)), a.learned());
    }

    @Test
    void aCnameChainGivesItsAddressesToEveryNameAlongItWithTheSmallestTtl() throws Exception {
        DnsAnswer a = DnsAnswers.parse(new DnsWire("www.example.test", Type.A)
                .cname("www.example.test", "edge.cdn.test", 30)
                .cname("edge.cdn.test", "pop1.cdn.test", 600)
                .a("pop1.cdn.test", "198.18.6.1", 120).wire());
        assertEquals(List.of("www.example.test", "edge.cdn.test", "pop1.cdn.test"), a.chain());
        assertEquals(3, a.learned().size());
        assertTrue(a.learned().stream().allMatch(l -> l.ttlSeconds() == 30 && l.address().equals(ipUnchecked("198.18.6.1"))),
                a.learned().toString());
    }

    @Test
    void namesCompareWithoutCaseAndRecordsOffTheChainAreNotLearned() throws Exception {
        DnsAnswer a = DnsAnswers.parse(new DnsWire("API.Example.TEST", Type.A)
                .a("api.EXAMPLE.test", "198.18.5.1", 300)
                .a("bank.example.test", "198.18.9.9", 300).wire());
        assertEquals("api.example.test", a.question());
        assertEquals(List.of(new DnsAnswer.Learned("api.example.test", ip("198.18.5.1"), 300)), a.learned(),
                "the resolver's extra record for another name is not learned");
    }

    @Test
    void aaaaManyAddressesEdnsAndCompressionAreRead() throws Exception {
        DnsWire w = new DnsWire("many.example.test", Type.AAAA).edns(4096);
        for (int i = 1; i <= 60; i++) {
            w.aaaa("many.example.test", "2001:db8::" + Integer.toHexString(i), 90);
        }
        byte[] wire = w.wire();
        assertTrue(wire.length > 512, "larger than a classic UDP answer: " + wire.length);
        assertTrue(wire.length < 60 * (16 + 10 + 19), "names compressed: " + wire.length);
        DnsAnswer a = DnsAnswers.parse(wire);
        assertEquals(60, a.learned().size());
        assertEquals(ip("2001:db8::3c"), a.learned().get(59).address());
    }

    @Test
    void nxdomainAndTruncationAreSaid() throws Exception {
        DnsAnswer nx = DnsAnswers.parse(new DnsWire("nope.example.test", Type.A).nxdomain().wire());
        assertEquals(3, nx.rcode());
        assertTrue(nx.learned().isEmpty());
        DnsAnswer tc = DnsAnswers.parse(new DnsWire("big.example.test", Type.A).truncated().wire());
        assertTrue(tc.truncated());
        assertFalse(nx.truncated());
    }

    @Test
    void cnameLoopsAndOverlongChainsAreRefused() {
        DnsAnswerException loop = assertThrows(DnsAnswerException.class, () -> DnsAnswers.parse(
                new DnsWire("a.test", Type.A).cname("a.test", "b.test", 5).cname("b.test", "a.test", 5).wire()));
        assertEquals("a CNAME loop: a.test -> b.test -> a.test", loop.getMessage());
        DnsWire longChain = new DnsWire("n0.test", Type.A);
        for (int i = 0; i < 20; i++) {
            longChain.cname("n" + i + ".test", "n" + (i + 1) + ".test", 5);
        }
        DnsAnswerException chain = assertThrows(DnsAnswerException.class, () -> DnsAnswers.parse(longChain.wire()));
        assertEquals("a CNAME chain longer than 16 names from n0.test", chain.getMessage());
    }

    /** Hand-made hostile messages: each is refused with a reason, quickly, and never hangs. */
    @Test
    void malformedMessagesAreRefusedWithAReason() throws Exception {
        byte[] good = new DnsWire("api.example.test", Type.A).a("api.example.test", "198.18.5.1", 300).wire();
        HexFormat hex = HexFormat.of();
        byte[] header = hex.parseHex("1234" + "8180" + "0001" + "0001" + "0000" + "0000");
        List<byte[]> bad = List.of(
                // a compression pointer past the end of the message
                concat(header, hex.parseHex("c0ff00000100"), hex.parseHex("c00c000100010000012c0004c6120501")),
                // a compression pointer to itself (a loop)
                concat(header, hex.parseHex("c00c00010001")),
                // two pointers pointing at each other
                concat(header, hex.parseHex("c00e" + "c00c" + "00010001")),
                // the answer's rdlength runs past the end
                concat(Arrays.copyOf(good, good.length - 2)),
                // counts that lie: 200 answers announced, none there
                concat(hex.parseHex("1234818000010" + "0c8" + "00000000"), Arrays.copyOfRange(good, 12, 34)),
                // a label longer than 63 bytes
                concat(header, new byte[] {0x50}, new byte[80]),
                // only a header
                header,
                // a query, not an answer
                concat(hex.parseHex("1234" + "0100" + "0001000000000000"), Arrays.copyOfRange(good, 12, 34)),
                // less than a header
                hex.parseHex("1234"));
        for (byte[] b : bad) {
            DnsAnswerException e = assertTimeoutPreemptively(Duration.ofSeconds(2),
                    () -> assertThrows(DnsAnswerException.class, () -> DnsAnswers.parse(b), hex.formatHex(b)));
            assertTrue(e.getMessage().length() < 300 && !e.getMessage().contains("\n"), e.getMessage());
        }
        assertThrows(DnsAnswerException.class, () -> DnsAnswers.parse(new byte[DnsAnswers.MAX_BYTES + 1]));
    }

    private static byte[] concat(byte[]... parts) {
        int n = 0;
        for (byte[] p : parts) {
            n += p.length;
        }
        byte[] out = new byte[n];
        int at = 0;
        for (byte[] p : parts) {
            System.arraycopy(p, 0, out, at, p.length);
            at += p.length;
        }
        return out;
    }

    private static InetAddress ipUnchecked(String s) {
        try {
            return ip(s);
        } catch (Exception e) {
            throw new IllegalStateException(e);
        }
    }
}
