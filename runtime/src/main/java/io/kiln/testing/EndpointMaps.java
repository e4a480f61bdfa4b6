package io.kiln.testing;

import java.util.Arrays;

/**
 * Keys and values of the maps of bpf-templates' {@code endpoint} template, byte for byte as its
 * README documents them (every struct there is locked by a {@code _Static_assert}). Addresses and
 * ports are written in network order where the C struct says {@code __be}, everything else in
 * host order.
 */
public final class EndpointMaps {
    /** Traffic the endpoint receives (to_endpoint). */
    public static final int DIR_INGRESS = 0;
    /** Traffic the endpoint sends (from_endpoint). */
    public static final int DIR_EGRESS = 1;
    public static final int ALLOW = 1;
    public static final int DENY = 2;
    public static final int CT_KIND_INGRESS = 0;
    public static final int CT_KIND_EGRESS = 1;
    public static final int CT_KIND_SERVICE = 2;
    /** Offsets of the counters in a metrics value. */
    public static final int METRICS_PACKETS = 0;
    public static final int METRICS_BYTES = 8;
    /** Reserved identities. */
    public static final long IDENTITY_ANY = 0;
    public static final long IDENTITY_HOST = 1;
    public static final long IDENTITY_WORLD = 2;
    /** Top byte of skb->mark when it carries a local sender's identity (identity.h). */
    public static final int IDENTITY_MARK_MAGIC = 0x4b000000;

    private EndpointMaps() {
    }

    /** {@code policy_key}: remote identity (0 any), destination port (0 any), IP protocol (0 any), direction. */
    public static byte[] policyKey(long identity, int dport, int proto, int dir) {
        return StructBytes.of(8).u32(0, identity).be16(4, dport).u8(6, proto).u8(7, dir).bytes();
    }

    /** {@code policy_entry}: {@link #ALLOW} or {@link #DENY}. */
    public static byte[] policyValue(int action) {
        return StructBytes.of(4).u8(0, action).bytes();
    }

    /** The metrics slot of a direction and reason. */
    public static byte[] metricsKey(int dir, DropReason reason) {
        return StructBytes.of(4).u32(0, (long) dir * DropReason.MAX + reason.code()).bytes();
    }

    /** {@code lpm4_key} or {@code lpm6_key} for {@code "198.18.0.0/15"}, {@code "2001:2::/48"}, or a bare address (/32, /128). */
    public static byte[] lpmKey(String cidr) {
        int slash = cidr.indexOf('/');
        byte[] addr = Addresses.ip(slash < 0 ? cidr : cidr.substring(0, slash));
        int len = slash < 0 ? addr.length * 8 : Integer.parseInt(cidr.substring(slash + 1));
        if (len < 0 || len > addr.length * 8) {
            throw new IllegalArgumentException("prefix length of " + cidr);
        }
        return StructBytes.of(4 + addr.length).u32(0, len).put(4, addr).bytes();
    }

    /** {@code ipcache_value}. */
    public static byte[] identityValue(long identity) {
        return StructBytes.of(4).u32(0, identity).bytes();
    }

    /** {@code lb4_key}. */
    public static byte[] serviceKey(String vip, int port, int proto) {
        return StructBytes.of(8).ip(0, vip).be16(4, port).u8(6, proto).bytes();
    }

    /** {@code lb_service}: backends in slots 0..count-1, a non-zero service id. */
    public static byte[] serviceValue(int backendCount, int serviceId) {
        return StructBytes.of(8).u32(0, backendCount).u16(4, serviceId).bytes();
    }

    /** {@code lb_backend_key}. */
    public static byte[] backendKey(int serviceId, int slot) {
        return StructBytes.of(8).u16(0, serviceId).u32(4, slot).bytes();
    }

    /** {@code lb4_backend}. */
    public static byte[] backendValue(String addr, int port) {
        return StructBytes.of(8).ip(0, addr).be16(4, port).bytes();
    }

    /** Key of {@code endpoints} (4 bytes) or {@code endpoints6} (16). */
    public static byte[] endpointKey(String addr) {
        return Addresses.ip(addr);
    }

    /** {@code endpoint_info}: the host-side veth, the endpoint's own MAC, its id. */
    public static byte[] endpointInfo(int ifindex, String mac, int endpointId) {
        return StructBytes.of(12).u32(0, ifindex).mac(4, mac).u16(10, endpointId).bytes();
    }

    /** {@code ct_key4}. */
    public static byte[] ctKey4(String saddr, String daddr, int sport, int dport, int proto, int kind) {
        return StructBytes.of(16).ip(0, saddr).ip(4, daddr).be16(8, sport).be16(10, dport).u8(12, proto).u8(13, kind).bytes();
    }

    /** {@code ct_entry}, decoded. */
    public record CtEntry(long expires, String natAddr, int natPort, int serviceId, int endpointId, int tcpFlags) {
        public static CtEntry decode(byte[] value) {
            StructBytes s = StructBytes.wrap(value.clone());
            return new CtEntry(s.u64(0), s.ipv4(8), s.be16(12), s.u16(14), s.u16(16), s.u8(18));
        }

        public byte[] encode() {
            return StructBytes.of(24).u64(0, expires).ip(8, natAddr).be16(12, natPort).u16(14, serviceId)
                    .u16(16, endpointId).u8(18, tcpFlags).bytes();
        }

        public CtEntry withExpires(long deadline) {
            return new CtEntry(deadline, natAddr, natPort, serviceId, endpointId, tcpFlags);
        }
    }

    /** {@code endpoint_config}, the one entry the generic build ({@code configSource=map}) reads. */
    public static byte[] endpointConfig(Endpoint e) {
        return StructBytes.of(48).u32(0, e.identity()).ip(4, e.ipv4()).ip(8, e.gatewayIpv4()).u32(12, e.ifindex())
                .ip(16, e.ipv6()).mac(32, e.mac()).mac(38, e.nodeMac()).u16(44, e.id()).bytes();
    }

    /** Key 0 of {@code endpoint_config}. */
    public static byte[] configKey() {
        return new byte[4];
    }

    /**
     * One endpoint's own values: what the constants build bakes in and the map build reads from
     * {@code endpoint_config}.
     */
    public record Endpoint(int id, long identity, String ipv4, String ipv6, String mac, String nodeMac, int ifindex,
                           String gatewayIpv4) {
        /** The endpoint constants, by their descriptor names. */
        public java.util.Map<String, Object> constants() {
            java.util.Map<String, Object> m = new java.util.LinkedHashMap<>();
            m.put("ENDPOINT_ID", id);
            m.put("IDENTITY", identity);
            m.put("ENDPOINT_IPV4", ipv4);
            m.put("ENDPOINT_IPV6", ipv6);
            m.put("ENDPOINT_MAC", mac);
            m.put("NODE_MAC", nodeMac);
            m.put("ENDPOINT_IFINDEX", ifindex);
            m.put("GATEWAY_IPV4", gatewayIpv4);
            return m;
        }
    }

    /**
     * The backend slot the endpoint template picks for a flow to a service (hash.h):
     * murmur3_32 with seed 0 over four little-endian words, modulo the backend count.
     */
    public static int backendSlot(String saddr, String vip, int sport, int vport, int proto, int backendCount) {
        int h = 0;
        h = murmurRound(h, beInt(Addresses.ipv4(saddr)));
        h = murmurRound(h, beInt(Addresses.ipv4(vip)));
        h = murmurRound(h, (sport & 0xffff) << 16 | (vport & 0xffff));
        h = murmurRound(h, proto);
        h ^= 16;
        h ^= h >>> 16;
        h *= 0x85ebca6b;
        h ^= h >>> 13;
        h *= 0xc2b2ae35;
        h ^= h >>> 16;
        return (int) (Integer.toUnsignedLong(h) % backendCount);
    }

    private static int murmurRound(int h, int k) {
        k *= 0xcc9e2d51;
        k = Integer.rotateLeft(k, 15);
        k *= 0x1b873593;
        h ^= k;
        h = Integer.rotateLeft(h, 13);
        return h * 5 + 0xe6546b64;
    }

    private static int beInt(byte[] a) {
        return (a[0] & 0xff) << 24 | (a[1] & 0xff) << 16 | (a[2] & 0xff) << 8 | (a[3] & 0xff);
    }

    /** Every byte 0xff: the "ones" value set of a constant of {@code size} bytes. */
    public static byte[] ones(int size) {
        byte[] b = new byte[size];
        Arrays.fill(b, (byte) 0xff);
        return b;
    }
}
