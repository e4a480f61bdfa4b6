package io.kiln.lab;

import java.io.ByteArrayOutputStream;
import java.nio.ByteBuffer;

/**
 * Hand-built test packets with correct checksums: Ethernet, ARP, IPv4, IPv6, TCP, UDP and ICMP or
 * ICMPv6 echo. Read results back with {@link PacketView}.
 *
 * <pre>{@code
 * byte[] syn = Packets.ethernet("02:00:00:00:00:0c", "02:00:00:00:00:01")
 *         .ipv4("198.18.0.12", "198.18.0.20")
 *         .tcp(40000, 80, Packets.TCP_SYN)
 *         .build();
 * byte[] who = Packets.arpRequest("02:00:00:00:00:0c", "198.18.0.12", "198.18.0.1");
 * }</pre>
 */
public final class Packets {
    public static final int ETH_P_IP = 0x0800;
    public static final int ETH_P_ARP = 0x0806;
    public static final int ETH_P_IPV6 = 0x86dd;
    public static final int IPPROTO_ICMP = 1;
    public static final int IPPROTO_TCP = 6;
    public static final int IPPROTO_UDP = 17;
    public static final int IPPROTO_ICMPV6 = 58;
    public static final int TCP_FIN = 0x01;
    public static final int TCP_SYN = 0x02;
    public static final int TCP_RST = 0x04;
    public static final int TCP_PSH = 0x08;
    public static final int TCP_ACK = 0x10;
    public static final int ARP_REQUEST = 1;
    public static final int ARP_REPLY = 2;
    public static final String BROADCAST = "ff:ff:ff:ff:ff:ff";

    private Packets() {
    }

    /** Starts a frame from {@code srcMac} to {@code dstMac}; add a network layer, or raw bytes, then build. */
    public static Builder ethernet(String srcMac, String dstMac) {
        return new Builder(Addresses.mac(srcMac), Addresses.mac(dstMac));
    }

    /** A broadcast ARP request: who has {@code targetIp}, tell {@code senderIp} at {@code senderMac}. */
    public static byte[] arpRequest(String senderMac, String senderIp, String targetIp) {
        return arp(ARP_REQUEST, senderMac, senderIp, BROADCAST, "00:00:00:00:00:00", targetIp);
    }

    /** An ARP reply to {@code targetMac}: {@code senderIp} is at {@code senderMac}. */
    public static byte[] arpReply(String senderMac, String senderIp, String targetMac, String targetIp) {
        return arp(ARP_REPLY, senderMac, senderIp, targetMac, targetMac, targetIp);
    }

    /** Any Ethernet/IPv4 ARP frame: the Ethernet source is the sender's MAC. */
    public static byte[] arp(int op, String senderMac, String senderIp, String ethDst, String targetMac, String targetIp) {
        ByteBuffer b = ByteBuffer.allocate(14 + 28);
        b.put(Addresses.mac(ethDst)).put(Addresses.mac(senderMac)).putShort((short) ETH_P_ARP);
        b.putShort((short) 1).putShort((short) ETH_P_IP).put((byte) 6).put((byte) 4).putShort((short) op);
        b.put(Addresses.mac(senderMac)).put(Addresses.ipv4(senderIp));
        b.put(Addresses.mac(targetMac)).put(Addresses.ipv4(targetIp));
        return b.array();
    }

    /** A frame under construction. Setters may come in any order after the layer they belong to. */
    public static final class Builder {
        private final byte[] srcMac;
        private final byte[] dstMac;
        private int etherType = -1;
        private byte[] raw;
        private byte[] ipSrc;
        private byte[] ipDst;
        private int ttl = 64;
        private int ipId = 1;
        private int fragment = 0x4000; // IPv4 flags and offset: don't fragment
        private int protocol = -1;
        private int sport;
        private int dport;
        private int tcpFlags;
        private long seq = 1;
        private long ack;
        private int icmpType;
        private int icmpId;
        private int icmpSeq;
        private boolean udpChecksum = true;
        private byte[] payload = new byte[0];

        private Builder(byte[] srcMac, byte[] dstMac) {
            this.srcMac = srcMac;
            this.dstMac = dstMac;
        }

        public Builder ipv4(String src, String dst) {
            etherType = ETH_P_IP;
            ipSrc = Addresses.ipv4(src);
            ipDst = Addresses.ipv4(dst);
            return this;
        }

        public Builder ipv6(String src, String dst) {
            etherType = ETH_P_IPV6;
            ipSrc = Addresses.ipv6(src);
            ipDst = Addresses.ipv6(dst);
            return this;
        }

        /** Any EtherType with the given bytes after the Ethernet header (no checksums). */
        public Builder raw(int etherType, byte[] bytes) {
            this.etherType = etherType;
            this.raw = bytes.clone();
            return this;
        }

        /** IPv4 TTL or IPv6 hop limit (default 64). */
        public Builder ttl(int ttl) {
            this.ttl = checkRange("ttl", ttl, 0, 255);
            return this;
        }

        public Builder ipId(int id) {
            this.ipId = checkRange("ip id", id, 0, 0xffff);
            return this;
        }

        /** Makes the IPv4 packet a fragment: offset in 8-byte units and the more-fragments flag. */
        public Builder fragment(int offsetUnits, boolean moreFragments) {
            this.fragment = checkRange("fragment offset", offsetUnits, 0, 0x1fff) | (moreFragments ? 0x2000 : 0);
            return this;
        }

        public Builder tcp(int sport, int dport, int flags) {
            protocol = IPPROTO_TCP;
            this.sport = checkRange("sport", sport, 0, 0xffff);
            this.dport = checkRange("dport", dport, 0, 0xffff);
            this.tcpFlags = checkRange("tcp flags", flags, 0, 0xff);
            return this;
        }

        public Builder seq(long seq) {
            this.seq = seq & 0xffffffffL;
            return this;
        }

        public Builder ack(long ack) {
            this.ack = ack & 0xffffffffL;
            return this;
        }

        public Builder udp(int sport, int dport) {
            protocol = IPPROTO_UDP;
            this.sport = checkRange("sport", sport, 0, 0xffff);
            this.dport = checkRange("dport", dport, 0, 0xffff);
            return this;
        }

        /** IPv4 UDP with checksum 0 ("none"), which NAT must keep 0. */
        public Builder withoutUdpChecksum() {
            this.udpChecksum = false;
            return this;
        }

        /** ICMP echo request (ICMPv6 over IPv6). */
        public Builder echoRequest(int id, int seq) {
            return icmp(true, id, seq);
        }

        /** ICMP echo reply (ICMPv6 over IPv6). */
        public Builder echoReply(int id, int seq) {
            return icmp(false, id, seq);
        }

        /** Any ICMP or ICMPv6 message with a 4-byte rest-of-header (id, seq). */
        public Builder icmp(int type, int id, int seq) {
            protocol = etherType == ETH_P_IPV6 ? IPPROTO_ICMPV6 : IPPROTO_ICMP;
            this.icmpType = checkRange("icmp type", type, 0, 255);
            this.icmpId = checkRange("icmp id", id, 0, 0xffff);
            this.icmpSeq = checkRange("icmp seq", seq, 0, 0xffff);
            return this;
        }

        private Builder icmp(boolean request, int id, int seq) {
            boolean v6 = etherType == ETH_P_IPV6;
            return icmp(request ? (v6 ? 128 : 8) : (v6 ? 129 : 0), id, seq);
        }

        public Builder payload(byte[] payload) {
            this.payload = payload.clone();
            return this;
        }

        /** A payload of {@code length} bytes 0, 1, 2, ... */
        public Builder payload(int length) {
            byte[] p = new byte[length];
            for (int i = 0; i < length; i++) {
                p[i] = (byte) i;
            }
            this.payload = p;
            return this;
        }

        public byte[] build() {
            if (etherType < 0) {
                throw new IllegalStateException("packet: no network layer (call ipv4, ipv6 or raw)");
            }
            ByteArrayOutputStream out = new ByteArrayOutputStream();
            out.writeBytes(dstMac);
            out.writeBytes(srcMac);
            out.write(etherType >>> 8);
            out.write(etherType);
            if (raw != null) {
                out.writeBytes(raw);
                return out.toByteArray();
            }
            if (protocol < 0) {
                throw new IllegalStateException("packet: no transport layer (call tcp, udp, echoRequest or echoReply)");
            }
            byte[] l4 = transport();
            out.writeBytes(etherType == ETH_P_IP ? ipv4Header(l4.length) : ipv6Header(l4.length));
            out.writeBytes(l4);
            return out.toByteArray();
        }

        private byte[] ipv4Header(int l4Length) {
            ByteBuffer h = ByteBuffer.allocate(20);
            h.put((byte) 0x45).put((byte) 0).putShort((short) (20 + l4Length));
            h.putShort((short) ipId).putShort((short) fragment);
            h.put((byte) ttl).put((byte) protocol).putShort((short) 0);
            h.put(ipSrc).put(ipDst);
            byte[] b = h.array();
            int c = Checksums.finish(Checksums.sum(b, 0, 20, 0));
            b[10] = (byte) (c >>> 8);
            b[11] = (byte) c;
            return b;
        }

        private byte[] ipv6Header(int l4Length) {
            ByteBuffer h = ByteBuffer.allocate(40);
            h.putInt(0x60000000).putShort((short) l4Length).put((byte) protocol).put((byte) ttl);
            h.put(ipSrc).put(ipDst);
            return h.array();
        }

        private byte[] transport() {
            ByteBuffer b;
            int checksumAt;
            switch (protocol) {
                case IPPROTO_TCP -> {
                    b = ByteBuffer.allocate(20 + payload.length);
                    b.putShort((short) sport).putShort((short) dport).putInt((int) seq).putInt((int) ack);
                    b.put((byte) 0x50).put((byte) tcpFlags).putShort((short) 65535).putShort((short) 0).putShort((short) 0);
                    checksumAt = 16;
                }
                case IPPROTO_UDP -> {
                    b = ByteBuffer.allocate(8 + payload.length);
                    b.putShort((short) sport).putShort((short) dport).putShort((short) (8 + payload.length)).putShort((short) 0);
                    checksumAt = 6;
                }
                default -> { // ICMP, ICMPv6
                    b = ByteBuffer.allocate(8 + payload.length);
                    b.put((byte) icmpType).put((byte) 0).putShort((short) 0).putShort((short) icmpId).putShort((short) icmpSeq);
                    checksumAt = 2;
                }
            }
            b.put(payload);
            byte[] seg = b.array();
            if (protocol == IPPROTO_UDP && !udpChecksum && etherType == ETH_P_IP) {
                return seg;
            }
            long initial = protocol == IPPROTO_ICMP ? 0 : Checksums.pseudoHeader(ipSrc, ipDst, protocol, seg.length);
            int c = Checksums.finish(Checksums.sum(seg, 0, seg.length, initial));
            if (protocol == IPPROTO_UDP && c == 0) {
                c = 0xffff; // UDP sends a computed 0 as all ones: 0 means "no checksum"
            }
            seg[checksumAt] = (byte) (c >>> 8);
            seg[checksumAt + 1] = (byte) c;
            return seg;
        }

        private static int checkRange(String what, int v, int min, int max) {
            if (v < min || v > max) {
                throw new IllegalArgumentException(what + " " + v + ": must be " + min + ".." + max);
            }
            return v;
        }
    }
}
