package io.kiln.dataplane;

import io.kiln.templates.EndpointValues;

import io.kiln.lab.Addresses;
import io.kiln.templates.EndpointBpf.DropReason;
import io.kiln.templates.EndpointBpf;
import io.kiln.templates.EndpointDefines;

import java.net.InetAddress;
import java.net.UnknownHostException;
import java.util.Arrays;

/**
 * Map keys and values of the {@code endpoint} template for tests, with addresses written as text.
 * No layouts here: every byte is laid out by {@link EndpointBpf}, the bindings the plugin generates
 * from the template's BTF (what the agent uses too); the numbers come from {@link EndpointDefines}.
 */
public final class EndpointMaps {
    public static final int DIR_INGRESS = EndpointDefines.DIR_INGRESS;
    public static final int DIR_EGRESS = EndpointDefines.DIR_EGRESS;
    public static final int ALLOW = EndpointDefines.POLICY_ALLOW;
    public static final int DENY = EndpointDefines.POLICY_DENY;
    public static final int CT_KIND_INGRESS = EndpointDefines.CT_KIND_INGRESS;
    public static final int CT_KIND_EGRESS = EndpointDefines.CT_KIND_EGRESS;
    public static final int CT_KIND_SERVICE = EndpointDefines.CT_KIND_SERVICE;
    /** Offsets of the counters in a metrics value. */
    public static final int METRICS_PACKETS = EndpointBpf.MetricsMap.Value.OFFSET_PACKETS;
    public static final int METRICS_BYTES = EndpointBpf.MetricsMap.Value.OFFSET_BYTES;
    public static final long IDENTITY_ANY = EndpointDefines.IDENTITY_ANY;
    public static final long IDENTITY_HOST = EndpointDefines.IDENTITY_HOST;
    public static final long IDENTITY_WORLD = EndpointDefines.IDENTITY_WORLD;
    public static final int IDENTITY_MARK_MAGIC = EndpointDefines.IDENTITY_MARK_MAGIC;

    private EndpointMaps() {
    }

    /** {@code policy_key}: remote identity (0 any), destination port (0 any), IP protocol (0 any), direction. */
    public static byte[] policyKey(long identity, int dport, int proto, int dir) {
        return EndpointBpf.PolicyMap.Key.builder().identity(identity).dport(dport).proto(proto).dir(dir).build()
                .toBytes();
    }

    /** {@code policy_entry}: {@link #ALLOW} or {@link #DENY}. */
    public static byte[] policyValue(int action) {
        return new EndpointBpf.PolicyMap.Value(action).toBytes();
    }

    /** The metrics slot of a direction and reason. */
    public static byte[] metricsKey(int dir, DropReason reason) {
        return EndpointDefines.metricsKey(dir, reason).toBytes();
    }

    /** {@code lpm4_key} or {@code lpm6_key} for {@code "198.18.0.0/15"}, {@code "2001:2::/48"}, or a bare address (/32, /128). */
    public static byte[] lpmKey(String cidr) {
        int slash = cidr.indexOf('/');
        InetAddress addr = address(slash < 0 ? cidr : cidr.substring(0, slash));
        int len = slash < 0 ? addr.getAddress().length * 8 : Integer.parseInt(cidr.substring(slash + 1));
        if (len < 0 || len > addr.getAddress().length * 8) {
            throw new IllegalArgumentException("prefix length of " + cidr);
        }
        if (addr.getAddress().length == 4) {
            return EndpointBpf.IpcacheMap.Key.builder().prefixlen(len).addr(EndpointDefines.ipv4(addr)).build().toBytes();
        }
        return EndpointBpf.Ipcache6Map.Key.builder().prefixlen(len).addr(addr.getAddress()).build().toBytes();
    }

    /** {@code ipcache_value}. */
    public static byte[] identityValue(long identity) {
        return new EndpointBpf.IpcacheMap.Value(identity).toBytes();
    }

    /** {@code lb4_key}. */
    public static byte[] serviceKey(String vip, int port, int proto) {
        return EndpointBpf.ServicesMap.Key.builder().vip(EndpointDefines.ipv4(address(vip))).port(port).proto(proto)
                .build().toBytes();
    }

    /** {@code lb_service}: backends in slots 0..count-1, a non-zero service id. */
    public static byte[] serviceValue(int backendCount, int serviceId) {
        return EndpointBpf.ServicesMap.Value.builder().backendCount(backendCount).serviceId(serviceId).build()
                .toBytes();
    }

    /** {@code lb_backend_key}. */
    public static byte[] backendKey(int serviceId, int slot) {
        return EndpointBpf.BackendsMap.Key.builder().serviceId(serviceId).slot(slot).build().toBytes();
    }

    /** {@code lb4_backend}. */
    public static byte[] backendValue(String addr, int port) {
        return EndpointBpf.BackendsMap.Value.builder().addr(EndpointDefines.ipv4(address(addr))).port(port).build()
                .toBytes();
    }

    /** {@code lb6_key}. */
    public static byte[] service6Key(String vip, int port, int proto) {
        return EndpointBpf.Services6Map.Key.builder().vip(Addresses.ip(vip)).port(port).proto(proto).build().toBytes();
    }

    /** {@code lb6_backend}. */
    public static byte[] backend6Value(String addr, int port) {
        return EndpointBpf.Backends6Map.Value.builder().addr(Addresses.ip(addr)).port(port).build().toBytes();
    }

    /** {@code revnat6}: a service id's key and its VIP. */
    public static byte[] revnat6Key(int serviceId) {
        return new EndpointBpf.Revnat6Map.Key(serviceId).toBytes();
    }

    public static byte[] revnat6Value(String vip) {
        return new EndpointBpf.Revnat6Map.Value(Addresses.ip(vip)).toBytes();
    }

    /** {@code ct_key6}. */
    public static byte[] ctKey6(String saddr, String daddr, int sport, int dport, int proto, int kind) {
        return EndpointBpf.Conntrack6Map.Key.builder().saddr(Addresses.ip(saddr)).daddr(Addresses.ip(daddr))
                .sport(sport).dport(dport).proto(proto).kind(kind).build().toBytes();
    }

    /** Key of {@code endpoints} (4 bytes) or {@code endpoints6} (16). */
    public static byte[] endpointKey(String addr) {
        return Addresses.ip(addr);
    }

    /** {@code endpoint_info}: the host-side veth, the endpoint's own MAC, its id. */
    public static byte[] endpointInfo(int ifindex, String mac, int endpointId) {
        return EndpointBpf.EndpointsMap.Value.builder().ifindex(ifindex).mac(Addresses.mac(mac)).endpointId(endpointId)
                .build().toBytes();
    }

    /** {@code ct_key4}. */
    public static byte[] ctKey4(String saddr, String daddr, int sport, int dport, int proto, int kind) {
        return EndpointBpf.ConntrackMap.Key.builder().saddr(EndpointDefines.ipv4(address(saddr)))
                .daddr(EndpointDefines.ipv4(address(daddr))).sport(sport).dport(dport).proto(proto).kind(kind).build()
                .toBytes();
    }

    /** {@code ct_entry}, decoded. */
    public record CtEntry(long expires, String natAddr, int natPort, int serviceId, int endpointId, int tcpFlags) {
        public static CtEntry decode(byte[] value) {
            EndpointBpf.ConntrackMap.Value e = EndpointBpf.ConntrackMap.Value.fromBytes(value);
            return new CtEntry(e.expires(), EndpointDefines.ipv4(e.natAddr()).getHostAddress(), e.natPort(),
                    e.serviceId(), e.endpointId(), e.tcpFlags());
        }

        public byte[] encode() {
            return EndpointBpf.ConntrackMap.Value.builder().expires(expires)
                    .natAddr(EndpointDefines.ipv4(address(natAddr))).natPort(natPort).serviceId(serviceId)
                    .endpointId(endpointId).tcpFlags(tcpFlags).build().toBytes();
        }

        public CtEntry withExpires(long deadline) {
            return new CtEntry(deadline, natAddr, natPort, serviceId, endpointId, tcpFlags);
        }
    }

    /** {@code endpoint_configs}: tier 0's entry for an endpoint (the image of its .rodata), under its host-side ifindex. */
    public static byte[] endpointConfig(EndpointValues e) {
        return EndpointBpf.EndpointConfigsMap.Value.builder().identity(e.identity())
                .ipv4(EndpointDefines.ipv4(address(e.ipv4()))).gatewayIpv4(EndpointDefines.ipv4(address(e.gatewayIpv4())))
                .ifindex(e.ifindex()).ipv6(e.ipv6() == null ? new byte[16] : address(e.ipv6()).getAddress())
                .mac(mac(e.mac())).nodeMac(mac(e.nodeMac())).endpointId(e.id()).build().toBytes();
    }

    /** The key of {@code endpoint_configs}: the ifindex of the endpoint's host-side veth. */
    public static byte[] configKey(int ifindex) {
        return new EndpointBpf.EndpointConfigsMap.Key(ifindex).toBytes();
    }

    /** The key of {@code policy_maps} and {@code metrics_maps}: the endpoint id. */
    public static byte[] endpointIdKey(int endpointId) {
        return new EndpointBpf.PolicyMapsMap.Key(endpointId).toBytes();
    }

    /**
     * The backend slot the endpoint template picks for a flow to a service (hash.h):
     * murmur3_32 with seed 0 over four little-endian words, modulo the backend count.
     */
    public static int backendSlot(String saddr, String vip, int sport, int vport, int proto, int backendCount) {
        return EndpointDefines.backendSlot(address(saddr), address(vip), sport, vport, proto, backendCount);
    }

    /** Every byte 0xff: the "ones" value set of a constant of {@code size} bytes. */
    public static byte[] ones(int size) {
        byte[] b = new byte[size];
        Arrays.fill(b, (byte) 0xff);
        return b;
    }

    private static byte[] mac(String text) {
        return text == null ? new byte[6] : Addresses.mac(text);
    }

    private static InetAddress address(String text) {
        if (text == null) {
            return null;
        }
        try {
            return InetAddress.getByAddress(Addresses.ip(text)); // parsed above: never a lookup
        } catch (UnknownHostException e) {
            throw new IllegalArgumentException(text + ": " + e.getMessage(), e);
        }
    }
}
