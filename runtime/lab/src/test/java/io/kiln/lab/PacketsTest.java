package io.kiln.lab;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.HexFormat;
import org.junit.jupiter.api.Test;

/** Packets builds what the wire format says, with checksums that independent references agree with. */
class PacketsTest {
    private static final HexFormat HEX = HexFormat.of();

    @Test
    void ipv4HeaderChecksumMatchesTheTextbookExample() {
        // RFC 1071-style example: 4500 0073 0000 4000 4011 xxxx c0a8 0001 c0a8 00c7 -> b861
        byte[] header = HEX.parseHex("450000730000400040110000c0a80001c0a800c7");
        assertEquals(0xb861, Checksums.finish(Checksums.sum(header, 0, header.length, 0)));
    }

    @Test
    void udpOverIpv4HasTheExactBytesAndChecksumOfAReferenceFrame() {
        byte[] frame = Packets.ethernet("02:00:00:00:00:01", "02:00:00:00:00:02")
                .ipv4("198.18.0.1", "198.18.0.2").ipId(1).udp(4000, 5000).payload(new byte[] {1, 2, 3, 4}).build();
        // checksums computed independently (a Python RFC 1071 sum, RFC 768 pseudo-header)
        assertEquals("020000000002" + "020000000001" + "0800"
                + "45000020" + "00014000" + "4011" + "aea4" + "c6120001" + "c6120002"
                + "0fa01388" + "000c" + "4c80" + "01020304", HEX.formatHex(frame));
        PacketView v = PacketView.parse(frame).assertChecksumsValid();
        assertEquals("198.18.0.1", v.src());
        assertEquals(5000, v.dport());
        assertArrayEquals(new byte[] {1, 2, 3, 4}, v.payload());
    }

    @Test
    void everyProtocolParsesBackWithValidChecksums() {
        var tcp = PacketView.parse(Packets.ethernet("02:00:00:00:00:01", "02:00:00:00:00:02").ipv4("198.18.0.1", "198.19.0.2")
                .ttl(3).tcp(1234, 80, Packets.TCP_SYN | Packets.TCP_ACK).seq(99).payload(33).build()).assertChecksumsValid();
        assertEquals(Packets.TCP_SYN | Packets.TCP_ACK, tcp.tcpFlags());
        assertEquals(99, tcp.tcpSeq());
        assertEquals(3, tcp.ttl());
        assertEquals(33, tcp.payload().length);

        var icmp = PacketView.parse(Packets.ethernet("02:00:00:00:00:01", "02:00:00:00:00:02").ipv4("198.18.0.1", "198.18.0.2")
                .echoRequest(77, 5).payload(7).build()).assertChecksumsValid();
        assertEquals(8, icmp.icmpType());
        assertEquals(77, icmp.icmpId());

        var v6 = PacketView.parse(Packets.ethernet("02:00:00:00:00:01", "02:00:00:00:00:02").ipv6("2001:2::1", "2001:2::2")
                .udp(1, 2).payload(9).build()).assertChecksumsValid();
        assertEquals("2001:2::1", v6.src());
        assertEquals(6, v6.ipVersion());

        var echo6 = PacketView.parse(Packets.ethernet("02:00:00:00:00:01", "02:00:00:00:00:02").ipv6("2001:2::1", "2001:2::2")
                .echoReply(5, 1).build()).assertChecksumsValid();
        assertEquals(129, echo6.icmpType());
        assertEquals(Packets.IPPROTO_ICMPV6, echo6.protocol());
    }

    @Test
    void aCorruptedChecksumIsReported() {
        byte[] frame = Packets.ethernet("02:00:00:00:00:01", "02:00:00:00:00:02").ipv4("198.18.0.1", "198.18.0.2")
                .tcp(1, 2, Packets.TCP_SYN).build();
        frame[frame.length - 1] ^= 1; // the urgent pointer: covered by the TCP checksum only
        PacketView v = PacketView.parse(frame);
        assertTrue(v.ipChecksumValid());
        assertFalse(v.l4ChecksumValid());
        AssertionError e = assertThrows(AssertionError.class, v::assertChecksumsValid);
        assertTrue(e.getMessage().contains("TCP checksum"), e.getMessage());
        frame[14 + 8] = 1; // TTL, covered by the IPv4 header checksum
        assertFalse(PacketView.parse(frame).ipChecksumValid());
    }

    @Test
    void udpWithoutChecksumKeepsZero() {
        var v = PacketView.parse(Packets.ethernet("02:00:00:00:00:01", "02:00:00:00:00:02").ipv4("198.18.0.1", "198.18.0.2")
                .udp(1, 2).withoutUdpChecksum().build());
        assertEquals(0, v.l4Checksum());
        assertTrue(v.l4ChecksumValid());
    }

    @Test
    void arpRequestAndReplyCarryTheirFields() {
        var req = PacketView.parse(Packets.arpRequest("02:00:00:00:00:0c", "198.18.0.12", "198.18.0.1"));
        assertEquals(Packets.BROADCAST, req.ethDst());
        assertEquals(Packets.ARP_REQUEST, req.arpOp());
        assertEquals("198.18.0.1", req.arpTargetIp());
        assertEquals("02:00:00:00:00:0c", req.arpSenderMac());
        var rep = PacketView.parse(Packets.arpReply("02:00:00:00:00:01", "198.18.0.1", "02:00:00:00:00:0c", "198.18.0.12"));
        assertEquals(Packets.ARP_REPLY, rep.arpOp());
        assertEquals("02:00:00:00:00:0c", rep.ethDst());
        assertEquals("198.18.0.12", rep.arpTargetIp());
        assertEquals(42, rep.length());
    }

    @Test
    void badInputIsRefusedWithTheValue() {
        assertThrows(IllegalArgumentException.class, () -> Packets.ethernet("02:00:00:00:00", "02:00:00:00:00:02"));
        assertThrows(IllegalArgumentException.class, () -> Addresses.ipv4("198.18.0.256"));
        assertThrows(IllegalArgumentException.class, () -> Packets.ethernet("02:00:00:00:00:01", "02:00:00:00:00:02")
                .ipv4("198.18.0.1", "198.18.0.2").udp(70000, 1));
        assertTrue(PacketView.parse(new byte[10]).problems().get(0).contains("shorter than an Ethernet header"));
    }
}
