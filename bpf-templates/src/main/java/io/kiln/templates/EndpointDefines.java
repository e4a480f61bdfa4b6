package io.kiln.templates;

import java.net.Inet4Address;
import java.net.InetAddress;
import java.net.UnknownHostException;

/**
 * The numbers the endpoint template's headers spell as {@code #define} (BTF carries no macros, so
 * {@link EndpointBpf} cannot), checked against the headers by a bpf-templates test; plus the
 * template's flow hash. Layouts are not here: they are {@link EndpointBpf}'s, read from BTF.
 */
public final class EndpointDefines {
    /** Traffic the endpoint receives (to_endpoint); direction.h. */
    public static final int DIR_INGRESS = 0;
    /** Traffic the endpoint sends (from_endpoint). */
    public static final int DIR_EGRESS = 1;
    /** policy.h: a policy entry's action. */
    public static final int POLICY_ALLOW = 1;
    public static final int POLICY_DENY = 2;
    /** conntrack.h: a conntrack key's kind. */
    public static final int CT_KIND_INGRESS = 0;
    public static final int CT_KIND_EGRESS = 1;
    public static final int CT_KIND_SERVICE = 2;
    /** identity.h: reserved identities. */
    public static final long IDENTITY_ANY = 0;
    public static final long IDENTITY_HOST = 1;
    public static final long IDENTITY_WORLD = 2;
    /** Top byte of skb->mark when it carries a local sender's identity (identity.h). */
    public static final int IDENTITY_MARK_MAGIC = 0x4b000000;

    private EndpointDefines() {
    }

    /** The metrics slot of a direction and reason (metrics.h). */
    public static EndpointBpf.MetricsMap.Key metricsKey(int dir, EndpointBpf.DropReason reason) {
        return new EndpointBpf.MetricsMap.Key(reason.slot(dir));
    }

    /** An IPv4 address as the bindings hold a {@code __be32}: its four bytes read big-endian. Null is 0. */
    public static long ipv4(InetAddress a) {
        if (a == null) {
            return 0;
        }
        byte[] b = a.getAddress();
        if (b.length != 4) {
            throw new IllegalArgumentException(a.getHostAddress() + ": this field holds an IPv4 address");
        }
        return Integer.toUnsignedLong((b[0] & 0xff) << 24 | (b[1] & 0xff) << 16 | (b[2] & 0xff) << 8 | (b[3] & 0xff));
    }

    /** The address of a {@code __be32} field's value. */
    public static Inet4Address ipv4(long be32) {
        byte[] b = {(byte) (be32 >>> 24), (byte) (be32 >>> 16), (byte) (be32 >>> 8), (byte) be32};
        try {
            return (Inet4Address) InetAddress.getByAddress(b); // 4 bytes: never a lookup
        } catch (UnknownHostException e) {
            throw new IllegalStateException(e);
        }
    }

    /**
     * The backend slot the endpoint template picks for a flow to a service (hash.h):
     * murmur3_32 with seed 0, modulo the backend count, over four little-endian words for IPv4
     * (source, VIP, ports, protocol) or ten for IPv6 (each address as four words, ports, protocol).
     */
    public static int backendSlot(InetAddress saddr, InetAddress vip, int sport, int vport, int proto, int backendCount) {
        byte[] s = saddr.getAddress();
        byte[] d = vip.getAddress();
        if (s.length != d.length) {
            throw new IllegalArgumentException(saddr.getHostAddress() + " and " + vip.getHostAddress()
                    + " are of different address families");
        }
        int h = 0;
        for (byte[] a : new byte[][] {s, d}) {
            for (int i = 0; i < a.length; i += 4) {
                h = murmurRound(h, (a[i] & 0xff) << 24 | (a[i + 1] & 0xff) << 16 | (a[i + 2] & 0xff) << 8 | (a[i + 3] & 0xff));
            }
        }
        h = murmurRound(h, (sport & 0xffff) << 16 | (vport & 0xffff));
        h = murmurRound(h, proto);
        h ^= 2 * s.length + 8;
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
}
