package io.kiln.runtime.maps;

import java.net.InetAddress;
import java.net.UnknownHostException;
import java.util.Arrays;
import java.util.Objects;

/**
 * Keys and values of the maps of bpf-templates' {@code endpoint} template, byte for byte as its
 * README documents them (every struct there is locked by a {@code _Static_assert}): what the agent
 * writes and reads back, and what tests put in maps. Addresses and ports are written in network
 * order where the C struct says {@code __be}, everything else in host order (little-endian).
 * Decoders refuse bytes of the wrong size.
 */
public final class EndpointMaps {
    /** Map names, as the template declares them. */
    public static final String POLICY = "policy";
    public static final String METRICS = "metrics";
    public static final String ENDPOINT_CONFIG = "endpoint_config";
    public static final String IPCACHE = "ipcache";
    public static final String IPCACHE6 = "ipcache6";
    public static final String SERVICES = "services";
    public static final String BACKENDS = "backends";
    public static final String ENDPOINTS = "endpoints";
    public static final String ENDPOINTS6 = "endpoints6";

    /** Traffic the endpoint receives (to_endpoint). */
    public static final int DIR_INGRESS = 0;
    /** Traffic the endpoint sends (from_endpoint). */
    public static final int DIR_EGRESS = 1;
    public static final int ALLOW = 1;
    public static final int DENY = 2;
    public static final int CT_KIND_INGRESS = 0;
    public static final int CT_KIND_EGRESS = 1;
    public static final int CT_KIND_SERVICE = 2;
    /** Offsets of the counters in a metrics value, and its size. */
    public static final int METRICS_PACKETS = 0;
    public static final int METRICS_BYTES = 8;
    public static final int METRICS_VALUE_SIZE = 16;
    /** Reserved identities. */
    public static final long IDENTITY_ANY = 0;
    public static final long IDENTITY_HOST = 1;
    public static final long IDENTITY_WORLD = 2;
    /** Top byte of skb->mark when it carries a local sender's identity (identity.h). */
    public static final int IDENTITY_MARK_MAGIC = 0x4b000000;

    private EndpointMaps() {
    }

    // ---- policy (per endpoint) ----

    /** {@code policy_key}: remote identity (0 any), destination port in host order (0 any), IP protocol (0 any), direction. */
    public record PolicyKey(long identity, int port, int protocol, int direction) {
    }

    public static byte[] policyKey(long identity, int dport, int proto, int dir) {
        return Struct.of(8).u32(0, identity).be16(4, dport).u8(6, proto).u8(7, dir).bytes();
    }

    public static PolicyKey decodePolicyKey(byte[] key) {
        Struct s = Struct.read(key, 8, "policy_key");
        return new PolicyKey(s.u32(0), s.be16(4), s.u8(6), s.u8(7));
    }

    /** {@code policy_entry}: {@link #ALLOW} or {@link #DENY}. */
    public static byte[] policyValue(int action) {
        return Struct.of(4).u8(0, action).bytes();
    }

    /** The action of a {@code policy_entry}. */
    public static int decodePolicyValue(byte[] value) {
        return Struct.read(value, 4, "policy_entry").u8(0);
    }

    // ---- metrics (per endpoint) ----

    /** The metrics slot of a direction and reason. */
    public static byte[] metricsKey(int dir, DropReason reason) {
        return metricsKey(dir * DropReason.MAX + reason.code());
    }

    public static byte[] metricsKey(int slot) {
        return Struct.of(4).u32(0, slot).bytes();
    }

    /** {@code metrics_value}: packets and bytes (one CPU's, or a sum). */
    public record Counters(long packets, long bytes) {
        public Counters plus(Counters o) {
            return new Counters(packets + o.packets, bytes + o.bytes);
        }
    }

    public static Counters decodeCounters(byte[] value) {
        Struct s = Struct.read(value, METRICS_VALUE_SIZE, "metrics_value");
        return new Counters(s.u64(METRICS_PACKETS), s.u64(METRICS_BYTES));
    }

    // ---- ipcache, ipcache6 (node) ----

    /** {@code lpm4_key} or {@code lpm6_key}: a prefix length and an address (4 or 16 bytes). */
    public record LpmKey(InetAddress address, int prefixLength) {
    }

    public static byte[] lpmKey(InetAddress address, int prefixLength) {
        byte[] addr = address.getAddress();
        if (prefixLength < 0 || prefixLength > addr.length * 8) {
            throw new IllegalArgumentException("prefix length " + prefixLength + " of " + address.getHostAddress());
        }
        return Struct.of(4 + addr.length).u32(0, prefixLength).put(4, addr).bytes();
    }

    public static LpmKey decodeLpmKey(byte[] key) {
        if (key == null || (key.length != 8 && key.length != 20)) {
            throw new IllegalArgumentException("lpm key: " + (key == null ? "null" : key.length + " bytes")
                    + ", expected 8 or 20");
        }
        Struct s = Struct.read(key, key.length, "lpm key");
        return new LpmKey(address(s.bytes(4, key.length - 4)), (int) s.u32(0));
    }

    /** {@code ipcache_value}. */
    public static byte[] identityValue(long identity) {
        return Struct.of(4).u32(0, identity).bytes();
    }

    public static long decodeIdentityValue(byte[] value) {
        return Struct.read(value, 4, "ipcache_value").u32(0);
    }

    // ---- services, backends (node) ----

    /** {@code lb4_key}: a service address, port (host order here) and IP protocol. */
    public record ServiceKey(InetAddress vip, int port, int protocol) {
    }

    public static byte[] serviceKey(InetAddress vip, int port, int proto) {
        return Struct.of(8).put(0, ipv4(vip)).be16(4, port).u8(6, proto).bytes();
    }

    public static ServiceKey decodeServiceKey(byte[] key) {
        Struct s = Struct.read(key, 8, "lb4_key");
        return new ServiceKey(address(s.bytes(0, 4)), s.be16(4), s.u8(6));
    }

    /** {@code lb_service}: backends in slots 0..count-1, a non-zero service id. */
    public record Service(int backendCount, int serviceId) {
    }

    public static byte[] serviceValue(int backendCount, int serviceId) {
        return Struct.of(8).u32(0, backendCount).u16(4, serviceId).bytes();
    }

    public static Service decodeServiceValue(byte[] value) {
        Struct s = Struct.read(value, 8, "lb_service");
        return new Service((int) s.u32(0), s.u16(4));
    }

    /** {@code lb_backend_key}. */
    public record BackendKey(int serviceId, int slot) {
    }

    public static byte[] backendKey(int serviceId, int slot) {
        return Struct.of(8).u16(0, serviceId).u32(4, slot).bytes();
    }

    public static BackendKey decodeBackendKey(byte[] key) {
        Struct s = Struct.read(key, 8, "lb_backend_key");
        return new BackendKey(s.u16(0), (int) s.u32(4));
    }

    /** {@code lb4_backend}: where a slot's traffic goes (port in host order here). */
    public record Backend(InetAddress address, int port) {
    }

    public static byte[] backendValue(InetAddress address, int port) {
        return Struct.of(8).put(0, ipv4(address)).be16(4, port).bytes();
    }

    public static Backend decodeBackendValue(byte[] value) {
        Struct s = Struct.read(value, 8, "lb4_backend");
        return new Backend(address(s.bytes(0, 4)), s.be16(4));
    }

    // ---- endpoints, endpoints6 (node) ----

    /** Key of {@code endpoints} (4 bytes) or {@code endpoints6} (16): the address itself. */
    public static byte[] endpointKey(InetAddress address) {
        return address.getAddress();
    }

    public static InetAddress decodeEndpointKey(byte[] key) {
        return address(key);
    }

    /** {@code endpoint_info}: the host-side veth's ifindex, the endpoint's own MAC (6 bytes; zeros when unknown), its id. */
    public record EndpointInfo(int ifindex, byte[] mac, int endpointId) {
        public EndpointInfo {
            mac = EndpointMaps.mac(mac).clone();
        }

        @Override
        public byte[] mac() {
            return mac.clone();
        }

        @Override
        public boolean equals(Object o) {
            return o instanceof EndpointInfo e && e.ifindex == ifindex && e.endpointId == endpointId
                    && Arrays.equals(e.mac, mac);
        }

        @Override
        public int hashCode() {
            return Objects.hash(ifindex, endpointId, Arrays.hashCode(mac));
        }
    }

    public static byte[] endpointInfo(int ifindex, byte[] mac, int endpointId) {
        return Struct.of(12).u32(0, ifindex).put(4, mac(mac)).u16(10, endpointId).bytes();
    }

    public static EndpointInfo decodeEndpointInfo(byte[] value) {
        Struct s = Struct.read(value, 12, "endpoint_info");
        return new EndpointInfo((int) s.u32(0), s.bytes(4, 6), s.u16(10));
    }

    // ---- conntrack (node) ----

    /** {@code ct_key4}. */
    public static byte[] ctKey4(InetAddress saddr, InetAddress daddr, int sport, int dport, int proto, int kind) {
        return Struct.of(16).put(0, ipv4(saddr)).put(4, ipv4(daddr)).be16(8, sport).be16(10, dport).u8(12, proto)
                .u8(13, kind).bytes();
    }

    /** {@code ct_entry}. */
    public record CtEntry(long expires, InetAddress natAddr, int natPort, int serviceId, int endpointId, int tcpFlags) {
        public static CtEntry decode(byte[] value) {
            Struct s = Struct.read(value, 24, "ct_entry");
            return new CtEntry(s.u64(0), address(s.bytes(8, 4)), s.be16(12), s.u16(14), s.u16(16), s.u8(18));
        }

        public byte[] encode() {
            return Struct.of(24).u64(0, expires).put(8, ipv4(natAddr)).be16(12, natPort).u16(14, serviceId)
                    .u16(16, endpointId).u8(18, tcpFlags).bytes();
        }
    }

    // ---- endpoint_config (per endpoint, the generic build) ----

    /**
     * {@code endpoint_config}, the one entry the generic build ({@code configSource=map}) reads: the
     * values the constants build bakes in. A null address or MAC is written as zeros.
     */
    public static byte[] endpointConfig(long identity, InetAddress ipv4, InetAddress gatewayIpv4, int ifindex,
                                        InetAddress ipv6, byte[] mac, byte[] nodeMac, int endpointId) {
        return Struct.of(48).u32(0, identity).put(4, ipv4(ipv4)).put(8, ipv4(gatewayIpv4)).u32(12, ifindex)
                .put(16, ipv6 == null ? new byte[16] : ipv6.getAddress()).put(32, mac(mac)).put(38, mac(nodeMac))
                .u16(44, endpointId).bytes();
    }

    /** Key 0 of {@code endpoint_config}. */
    public static byte[] configKey() {
        return new byte[4];
    }

    // ---- the flow hash ----

    /**
     * The backend slot the endpoint template picks for a flow to a service (hash.h):
     * murmur3_32 with seed 0 over four little-endian words, modulo the backend count.
     */
    public static int backendSlot(InetAddress saddr, InetAddress vip, int sport, int vport, int proto, int backendCount) {
        int h = 0;
        h = murmurRound(h, beInt(ipv4(saddr)));
        h = murmurRound(h, beInt(ipv4(vip)));
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

    // ---- helpers ----

    /** Four bytes of an IPv4 address (zeros for null); an IPv6 address here is a caller's mistake. */
    private static byte[] ipv4(InetAddress a) {
        if (a == null) {
            return new byte[4];
        }
        byte[] b = a.getAddress();
        if (b.length != 4) {
            throw new IllegalArgumentException(a.getHostAddress() + ": this field holds an IPv4 address");
        }
        return b;
    }

    private static byte[] mac(byte[] mac) {
        if (mac == null) {
            return new byte[6];
        }
        if (mac.length != 6) {
            throw new IllegalArgumentException("a MAC has 6 bytes, not " + mac.length);
        }
        return mac;
    }

    private static InetAddress address(byte[] raw) {
        try {
            return InetAddress.getByAddress(raw); // 4 or 16 bytes: never a lookup
        } catch (UnknownHostException e) {
            throw new IllegalArgumentException("an address has 4 or 16 bytes, not " + raw.length, e);
        }
    }
}
