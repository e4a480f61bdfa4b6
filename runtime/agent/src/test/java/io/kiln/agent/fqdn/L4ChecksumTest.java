package io.kiln.agent.fqdn;

import io.kiln.lab.Packets;
import org.junit.jupiter.api.Test;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;

/** The checksum the agent writes into a re-delivered frame equals the one a correct sender computes. */
class L4ChecksumTest {
    private static void roundTrip(byte[] good, int family, int proto, int l4Off, int field) {
        byte[] partial = good.clone();
        partial[field] = 0x12; // what CHECKSUM_PARTIAL leaves: anything but the checksum
        partial[field + 1] = 0x34;
        L4Checksum.fill(partial, family, proto, l4Off);
        assertArrayEquals(good, partial);
    }

    @Test
    void udpAndTcpOverIpv4AndIpv6OddLengthsIncluded() {
        String a = "02:00:00:00:00:01";
        String b = "02:00:00:00:00:02";
        roundTrip(Packets.ethernet(a, b).ipv4("198.18.1.53", "198.18.0.11").udp(53, 40000).payload(63).build(),
                4, 17, 34, 40);
        roundTrip(Packets.ethernet(a, b).ipv4("198.18.1.53", "198.18.0.11").tcp(53, 40000, 0x18).payload(64).build(),
                4, 6, 34, 50);
        roundTrip(Packets.ethernet(a, b).ipv6("2001:db8::35", "2001:db8::b").udp(53, 40000).payload(101).build(),
                6, 17, 54, 60);
        roundTrip(Packets.ethernet(a, b).ipv6("2001:db8::35", "2001:db8::b").tcp(53, 40000, 0x18).payload(7).build(),
                6, 6, 54, 70);
    }

    @Test
    void aFrameShorterThanItsHeadersSayIsLeftAlone() {
        byte[] f = Packets.ethernet("02:00:00:00:00:01", "02:00:00:00:00:02").ipv4("198.18.1.53", "198.18.0.11")
                .udp(53, 40000).payload(20).build();
        byte[] cut = java.util.Arrays.copyOf(f, f.length - 10);
        assertFalse(L4Checksum.fill(cut, 4, 17, 34));
    }
}
