package io.kiln.dataplane;

import io.kiln.lab.Addresses;

import java.net.InetAddress;
import java.net.UnknownHostException;
import java.util.Arrays;

/**
 * Keys and values of the maps of bpf-templates' {@code endpoint} template, with addresses written as
 * text, for tests. The layouts themselves live in production code,
 * {@link io.kiln.runtime.maps.EndpointMaps} (the agent writes its maps through it); this class
 * parses the text and delegates.
 */
public final class EndpointMaps {
    /** Traffic the endpoint receives (to_endpoint). */
    public static final int DIR_INGRESS = io.kiln.runtime.maps.EndpointMaps.DIR_INGRESS;
    /** Traffic the endpoint sends (from_endpoint). */
    public static final int DIR_EGRESS = io.kiln.runtime.maps.EndpointMaps.DIR_EGRESS;
    public static final int ALLOW = io.kiln.runtime.maps.EndpointMaps.ALLOW;
    public static final int DENY = io.kiln.runtime.maps.EndpointMaps.DENY;
    public static final int CT_KIND_INGRESS = io.kiln.runtime.maps.EndpointMaps.CT_KIND_INGRESS;
    public static final int CT_KIND_EGRESS = io.kiln.runtime.maps.EndpointMaps.CT_KIND_EGRESS;
    public static final int CT_KIND_SERVICE = io.kiln.runtime.maps.EndpointMaps.CT_KIND_SERVICE;
    /** Offsets of the counters in a metrics value. */
    public static final int METRICS_PACKETS = io.kiln.runtime.maps.EndpointMaps.METRICS_PACKETS;
    public static final int METRICS_BYTES = io.kiln.runtime.maps.EndpointMaps.METRICS_BYTES;
    /** Reserved identities. */
    public static final long IDENTITY_ANY = io.kiln.runtime.maps.EndpointMaps.IDENTITY_ANY;
    public static final long IDENTITY_HOST = io.kiln.runtime.maps.EndpointMaps.IDENTITY_HOST;
    public static final long IDENTITY_WORLD = io.kiln.runtime.maps.EndpointMaps.IDENTITY_WORLD;
    /** Top byte of skb->mark when it carries a local sender's identity (identity.h). */
    public static final int IDENTITY_MARK_MAGIC = io.kiln.runtime.maps.EndpointMaps.IDENTITY_MARK_MAGIC;

    private EndpointMaps() {
    }

    /** {@code policy_key}: remote identity (0 any), destination port (0 any), IP protocol (0 any), direction. */
    public static byte[] policyKey(long identity, int dport, int proto, int dir) {
        return io.kiln.runtime.maps.EndpointMaps.policyKey(identity, dport, proto, dir);
    }

    /** {@code policy_entry}: {@link #ALLOW} or {@link #DENY}. */
    public static byte[] policyValue(int action) {
        return io.kiln.runtime.maps.EndpointMaps.policyValue(action);
    }

    /** The metrics slot of a direction and reason. */
    public static byte[] metricsKey(int dir, DropReason reason) {
        return io.kiln.runtime.maps.EndpointMaps.metricsKey(dir, reason.production());
    }

    /** {@code lpm4_key} or {@code lpm6_key} for {@code "198.18.0.0/15"}, {@code "2001:2::/48"}, or a bare address (/32, /128). */
    public static byte[] lpmKey(String cidr) {
        int slash = cidr.indexOf('/');
        InetAddress addr = address(slash < 0 ? cidr : cidr.substring(0, slash));
        int len = slash < 0 ? addr.getAddress().length * 8 : Integer.parseInt(cidr.substring(slash + 1));
        if (len < 0 || len > addr.getAddress().length * 8) {
            throw new IllegalArgumentException("prefix length of " + cidr);
        }
        return io.kiln.runtime.maps.EndpointMaps.lpmKey(addr, len);
    }

    /** {@code ipcache_value}. */
    public static byte[] identityValue(long identity) {
        return io.kiln.runtime.maps.EndpointMaps.identityValue(identity);
    }

    /** {@code lb4_key}. */
    public static byte[] serviceKey(String vip, int port, int proto) {
        return io.kiln.runtime.maps.EndpointMaps.serviceKey(address(vip), port, proto);
    }

    /** {@code lb_service}: backends in slots 0..count-1, a non-zero service id. */
    public static byte[] serviceValue(int backendCount, int serviceId) {
        return io.kiln.runtime.maps.EndpointMaps.serviceValue(backendCount, serviceId);
    }

    /** {@code lb_backend_key}. */
    public static byte[] backendKey(int serviceId, int slot) {
        return io.kiln.runtime.maps.EndpointMaps.backendKey(serviceId, slot);
    }

    /** {@code lb4_backend}. */
    public static byte[] backendValue(String addr, int port) {
        return io.kiln.runtime.maps.EndpointMaps.backendValue(address(addr), port);
    }

    /** Key of {@code endpoints} (4 bytes) or {@code endpoints6} (16). */
    public static byte[] endpointKey(String addr) {
        return Addresses.ip(addr);
    }

    /** {@code endpoint_info}: the host-side veth, the endpoint's own MAC, its id. */
    public static byte[] endpointInfo(int ifindex, String mac, int endpointId) {
        return io.kiln.runtime.maps.EndpointMaps.endpointInfo(ifindex, Addresses.mac(mac), endpointId);
    }

    /** {@code ct_key4}. */
    public static byte[] ctKey4(String saddr, String daddr, int sport, int dport, int proto, int kind) {
        return io.kiln.runtime.maps.EndpointMaps.ctKey4(address(saddr), address(daddr), sport, dport, proto, kind);
    }

    /** {@code ct_entry}, decoded. */
    public record CtEntry(long expires, String natAddr, int natPort, int serviceId, int endpointId, int tcpFlags) {
        public static CtEntry decode(byte[] value) {
            io.kiln.runtime.maps.EndpointMaps.CtEntry e = io.kiln.runtime.maps.EndpointMaps.CtEntry.decode(value);
            return new CtEntry(e.expires(), Addresses.ipText(e.natAddr().getAddress()), e.natPort(), e.serviceId(),
                    e.endpointId(), e.tcpFlags());
        }

        public byte[] encode() {
            return new io.kiln.runtime.maps.EndpointMaps.CtEntry(expires, address(natAddr), natPort, serviceId,
                    endpointId, tcpFlags).encode();
        }

        public CtEntry withExpires(long deadline) {
            return new CtEntry(deadline, natAddr, natPort, serviceId, endpointId, tcpFlags);
        }
    }

    /** {@code endpoint_config}, the one entry the generic build ({@code configSource=map}) reads. */
    public static byte[] endpointConfig(Endpoint e) {
        return io.kiln.runtime.maps.EndpointMaps.endpointConfig(e.identity(), address(e.ipv4()), address(e.gatewayIpv4()),
                e.ifindex(), e.ipv6() == null ? null : address(e.ipv6()), Addresses.mac(e.mac()),
                Addresses.mac(e.nodeMac()), e.id());
    }

    /** Key 0 of {@code endpoint_config}. */
    public static byte[] configKey() {
        return io.kiln.runtime.maps.EndpointMaps.configKey();
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
        return io.kiln.runtime.maps.EndpointMaps.backendSlot(address(saddr), address(vip), sport, vport, proto,
                backendCount);
    }

    /** Every byte 0xff: the "ones" value set of a constant of {@code size} bytes. */
    public static byte[] ones(int size) {
        byte[] b = new byte[size];
        Arrays.fill(b, (byte) 0xff);
        return b;
    }

    private static InetAddress address(String text) {
        try {
            return InetAddress.getByAddress(Addresses.ip(text)); // parsed above: never a lookup
        } catch (UnknownHostException e) {
            throw new IllegalArgumentException(text + ": " + e.getMessage(), e);
        }
    }
}
