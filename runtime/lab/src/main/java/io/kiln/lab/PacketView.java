package io.kiln.lab;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

/**
 * A parsed Ethernet frame, for asserting on what a program sent: MACs, ARP fields, IPv4/IPv6
 * addresses and TTL, ports, TCP flags, ICMP echo id, payload, and whether every checksum is right.
 * Fields a frame lacks read as -1 or null. Parsing never throws on a short or odd frame: the
 * layers it cannot read are simply absent, and {@link #problems()} says why.
 */
public final class PacketView {
    private final byte[] frame;
    private final List<String> problems = new ArrayList<>();
    private int etherType = -1;
    private int l3 = -1;          // offset of the ARP or IP header
    private int ipVersion = -1;
    private int l4 = -1;          // offset of the transport header
    private int protocol = -1;
    private int l4Length = -1;    // transport header plus payload, per the IP header
    private int ipHeaderLength = -1;

    private PacketView(byte[] frame) {
        this.frame = frame.clone();
        parse();
    }

    public static PacketView parse(byte[] frame) {
        return new PacketView(frame);
    }

    private void parse() {
        if (frame.length < 14) {
            problems.add("frame of " + frame.length + " bytes is shorter than an Ethernet header");
            return;
        }
        etherType = u16(12);
        l3 = 14;
        if (etherType == Packets.ETH_P_ARP) {
            if (frame.length < 14 + 28) {
                problems.add("ARP frame of " + frame.length + " bytes is shorter than 42");
            }
            return;
        }
        if (etherType == Packets.ETH_P_IP) {
            if (frame.length < l3 + 20) {
                problems.add("IPv4 header truncated");
                return;
            }
            ipVersion = frame[l3] >>> 4 & 0xf;
            ipHeaderLength = (frame[l3] & 0xf) * 4;
            protocol = frame[l3 + 9] & 0xff;
            int total = u16(l3 + 2);
            if (ipHeaderLength < 20 || l3 + total > frame.length || total < ipHeaderLength) {
                problems.add("IPv4 total length " + total + " / header length " + ipHeaderLength
                        + " do not fit the frame of " + frame.length + " bytes");
                return;
            }
            if ((u16(l3 + 6) & 0x3fff) != 0) {
                return; // a fragment: no transport header to read
            }
            l4 = l3 + ipHeaderLength;
            l4Length = total - ipHeaderLength;
        } else if (etherType == Packets.ETH_P_IPV6) {
            if (frame.length < l3 + 40) {
                problems.add("IPv6 header truncated");
                return;
            }
            ipVersion = frame[l3] >>> 4 & 0xf;
            ipHeaderLength = 40;
            protocol = frame[l3 + 6] & 0xff; // extension headers are not followed
            l4 = l3 + 40;
            l4Length = u16(l3 + 4);
            if (l4 + l4Length > frame.length) {
                problems.add("IPv6 payload length " + l4Length + " exceeds the frame");
                l4 = -1;
            }
        }
    }

    public byte[] bytes() {
        return frame.clone();
    }

    public int length() {
        return frame.length;
    }

    public String ethDst() {
        return frame.length >= 14 ? Addresses.macText(Arrays.copyOfRange(frame, 0, 6)) : null;
    }

    public String ethSrc() {
        return frame.length >= 14 ? Addresses.macText(Arrays.copyOfRange(frame, 6, 12)) : null;
    }

    public int etherType() {
        return etherType;
    }

    // ---- ARP ----

    public boolean isArp() {
        return etherType == Packets.ETH_P_ARP && frame.length >= 42;
    }

    public int arpOp() {
        return isArp() ? u16(l3 + 6) : -1;
    }

    public String arpSenderMac() {
        return isArp() ? Addresses.macText(Arrays.copyOfRange(frame, l3 + 8, l3 + 14)) : null;
    }

    public String arpSenderIp() {
        return isArp() ? Addresses.ipText(Arrays.copyOfRange(frame, l3 + 14, l3 + 18)) : null;
    }

    public String arpTargetMac() {
        return isArp() ? Addresses.macText(Arrays.copyOfRange(frame, l3 + 18, l3 + 24)) : null;
    }

    public String arpTargetIp() {
        return isArp() ? Addresses.ipText(Arrays.copyOfRange(frame, l3 + 24, l3 + 28)) : null;
    }

    // ---- IP ----

    /** 4, 6, or -1 for a frame without an IP header. */
    public int ipVersion() {
        return ipVersion;
    }

    public String src() {
        return ipVersion == 4 ? ip(l3 + 12, 4) : ipVersion == 6 ? ip(l3 + 8, 16) : null;
    }

    public String dst() {
        return ipVersion == 4 ? ip(l3 + 16, 4) : ipVersion == 6 ? ip(l3 + 24, 16) : null;
    }

    /** IPv4 TTL or IPv6 hop limit. */
    public int ttl() {
        return ipVersion == 4 ? frame[l3 + 8] & 0xff : ipVersion == 6 ? frame[l3 + 7] & 0xff : -1;
    }

    /** IP protocol or IPv6 next header. */
    public int protocol() {
        return protocol;
    }

    /** The IPv4 header checksum as stored. */
    public int ipChecksum() {
        return ipVersion == 4 ? u16(l3 + 10) : -1;
    }

    /** True when the IPv4 header checksum is right (IPv6 has none: true). */
    public boolean ipChecksumValid() {
        if (ipVersion == 6) {
            return true;
        }
        return ipVersion == 4 && Checksums.finish(Checksums.sum(frame, l3, ipHeaderLength, 0)) == 0;
    }

    // ---- transport ----

    public boolean hasTransport() {
        return l4 >= 0 && l4 + minimumL4() <= frame.length && l4Length >= minimumL4();
    }

    private int minimumL4() {
        return protocol == Packets.IPPROTO_TCP ? 20 : 8;
    }

    public int sport() {
        return isPorts() ? u16(l4) : -1;
    }

    public int dport() {
        return isPorts() ? u16(l4 + 2) : -1;
    }

    private boolean isPorts() {
        return hasTransport() && (protocol == Packets.IPPROTO_TCP || protocol == Packets.IPPROTO_UDP);
    }

    public int tcpFlags() {
        return hasTransport() && protocol == Packets.IPPROTO_TCP ? frame[l4 + 13] & 0xff : -1;
    }

    public long tcpSeq() {
        return hasTransport() && protocol == Packets.IPPROTO_TCP ? u32(l4 + 4) : -1;
    }

    public int icmpType() {
        return isIcmp() ? frame[l4] & 0xff : -1;
    }

    public int icmpId() {
        return isIcmp() ? u16(l4 + 4) : -1;
    }

    private boolean isIcmp() {
        return hasTransport() && (protocol == Packets.IPPROTO_ICMP || protocol == Packets.IPPROTO_ICMPV6);
    }

    /** The transport checksum as stored (0 for an IPv4 UDP datagram without one). */
    public int l4Checksum() {
        if (!hasTransport()) {
            return -1;
        }
        return switch (protocol) {
            case Packets.IPPROTO_TCP -> u16(l4 + 16);
            case Packets.IPPROTO_UDP -> u16(l4 + 6);
            default -> u16(l4 + 2);
        };
    }

    /**
     * True when the TCP, UDP, ICMP or ICMPv6 checksum is right (over the pseudo-header where the
     * protocol has one). An IPv4 UDP checksum of 0 means "none" and counts as right.
     */
    public boolean l4ChecksumValid() {
        if (!hasTransport()) {
            return false;
        }
        if (protocol == Packets.IPPROTO_UDP && ipVersion == 4 && l4Checksum() == 0) {
            return true;
        }
        long initial = 0;
        if (protocol != Packets.IPPROTO_ICMP) {
            int alen = ipVersion == 4 ? 4 : 16;
            byte[] s = Arrays.copyOfRange(frame, ipVersion == 4 ? l3 + 12 : l3 + 8, (ipVersion == 4 ? l3 + 12 : l3 + 8) + alen);
            byte[] d = Arrays.copyOfRange(frame, ipVersion == 4 ? l3 + 16 : l3 + 24, (ipVersion == 4 ? l3 + 16 : l3 + 24) + alen);
            initial = Checksums.pseudoHeader(s, d, protocol, l4Length);
        }
        return Checksums.finish(Checksums.sum(frame, l4, l4Length, initial)) == 0;
    }

    /** The bytes after the transport header (TCP without options counted: data offset is honoured). */
    public byte[] payload() {
        if (!hasTransport()) {
            return new byte[0];
        }
        int header = protocol == Packets.IPPROTO_TCP ? ((frame[l4 + 12] >>> 4) & 0xf) * 4 : 8;
        return Arrays.copyOfRange(frame, l4 + header, l4 + l4Length);
    }

    /** What kept the parser from reading a layer; empty for a well-formed frame. */
    public List<String> problems() {
        return List.copyOf(problems);
    }

    /** Fails unless the frame parsed cleanly and its IPv4 and transport checksums are right. */
    public PacketView assertChecksumsValid() {
        if (!problems.isEmpty()) {
            throw new AssertionError("malformed packet: " + String.join("; ", problems) + "\n" + this);
        }
        if (ipVersion == 4 && !ipChecksumValid()) {
            throw new AssertionError(String.format("IPv4 header checksum 0x%04x is wrong%n%s", ipChecksum(), this));
        }
        if (hasTransport() && !l4ChecksumValid()) {
            throw new AssertionError(String.format("%s checksum 0x%04x is wrong%n%s", protocolName(), l4Checksum(), this));
        }
        return this;
    }

    private String protocolName() {
        return switch (protocol) {
            case Packets.IPPROTO_TCP -> "TCP";
            case Packets.IPPROTO_UDP -> "UDP";
            case Packets.IPPROTO_ICMP -> "ICMP";
            case Packets.IPPROTO_ICMPV6 -> "ICMPv6";
            default -> "protocol " + protocol;
        };
    }

    /** One line per layer, then a hex dump: what an assertion message shows. */
    @Override
    public String toString() {
        StringBuilder sb = new StringBuilder();
        if (frame.length >= 14) {
            sb.append(String.format("eth %s -> %s type 0x%04x", ethSrc(), ethDst(), etherType));
        }
        if (isArp()) {
            sb.append(String.format("%narp op %d %s/%s -> %s/%s", arpOp(), arpSenderIp(), arpSenderMac(),
                    arpTargetIp(), arpTargetMac()));
        }
        if (ipVersion == 4 || ipVersion == 6) {
            sb.append(String.format("%nipv%d %s -> %s ttl %d proto %d", ipVersion, src(), dst(), ttl(), protocol));
            if (ipVersion == 4) {
                sb.append(String.format(" csum 0x%04x%s", ipChecksum(), ipChecksumValid() ? "" : " (WRONG)"));
            }
        }
        if (hasTransport()) {
            sb.append(String.format("%n%s", protocolName()));
            if (isPorts()) {
                sb.append(" ").append(sport()).append(" -> ").append(dport());
            }
            if (protocol == Packets.IPPROTO_TCP) {
                sb.append(String.format(" flags 0x%02x", tcpFlags()));
            }
            if (isIcmp()) {
                sb.append(" type ").append(icmpType()).append(" id ").append(icmpId());
            }
            sb.append(String.format(" csum 0x%04x%s", l4Checksum(), l4ChecksumValid() ? "" : " (WRONG)"));
        }
        sb.append(String.format("%n%d bytes:", frame.length));
        for (int i = 0; i < frame.length; i++) {
            sb.append(i % 16 == 0 ? String.format("%n  %04x ", i) : " ").append(String.format("%02x", frame[i] & 0xff));
        }
        return sb.toString();
    }

    private String ip(int off, int len) {
        return Addresses.ipText(Arrays.copyOfRange(frame, off, off + len));
    }

    private int u16(int off) {
        return ((frame[off] & 0xff) << 8) | (frame[off + 1] & 0xff);
    }

    private long u32(int off) {
        return ((long) u16(off) << 16) | u16(off + 2);
    }
}
