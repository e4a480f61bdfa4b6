package io.kiln.agent.spec;


import java.net.Inet4Address;
import java.net.InetAddress;
import java.util.Comparator;
import java.util.Objects;

/**
 * An address prefix such as {@code 198.18.0.0/15} or {@code 2001:db8::/32}. The address has no
 * bits set past the prefix: {@code 198.18.0.1/15} is refused, not silently widened, since it is
 * most likely a typo for a /32.
 */
public record Cidr(InetAddress address, int prefixLength) implements Comparable<Cidr> {
    private static final Comparator<Cidr> ORDER = Comparator.comparing(Cidr::address, AddressLiterals.ORDER)
            .thenComparingInt(Cidr::prefixLength);

    public Cidr {
        Objects.requireNonNull(address, "address");
        int bits = address.getAddress().length * 8;
        if (prefixLength < 0 || prefixLength > bits) {
            throw new IllegalArgumentException("prefix length " + prefixLength + " is not in 0.." + bits);
        }
        if (!masked(address, prefixLength).equals(address)) {
            throw new IllegalArgumentException(AddressLiterals.format(address) + "/" + prefixLength + " has bits set past the"
                    + " prefix; did you mean " + AddressLiterals.format(masked(address, prefixLength)) + "/" + prefixLength + "?");
        }
    }

    /** The single address as a /32 or /128. */
    public static Cidr host(InetAddress address) {
        return new Cidr(address, address.getAddress().length * 8);
    }

    /**
     * Parses {@code a.b.c.d/n} or {@code x::y/n}; a bare address is a host prefix.
     *
     * @throws IllegalArgumentException with a message fit for the user
     */
    public static Cidr parse(String text) {
        int slash = text.indexOf('/');
        String addr = slash < 0 ? text : text.substring(0, slash);
        InetAddress a = AddressLiterals.any(addr);
        if (a == null) {
            throw new IllegalArgumentException("'" + text + "' is not a CIDR like 198.18.0.0/15 or 2001:db8::/32");
        }
        if (slash < 0) {
            return host(a);
        }
        String len = text.substring(slash + 1);
        if (!len.matches("0|[1-9][0-9]{0,2}")) {
            throw new IllegalArgumentException("'" + text + "': the prefix length must be a number");
        }
        return new Cidr(a, Integer.parseInt(len));
    }

    public boolean isIpv4() {
        return address instanceof Inet4Address;
    }

    /** 32 or 128. */
    public int bits() {
        return address instanceof Inet4Address ? 32 : 128;
    }

    public boolean isHost() {
        return prefixLength == bits();
    }

    /** True when every address of {@code other} is in this prefix (same family). */
    public boolean contains(Cidr other) {
        return other.bits() == bits() && other.prefixLength >= prefixLength
                && masked(other.address, prefixLength).equals(address);
    }

    public boolean contains(InetAddress a) {
        return contains(host(a));
    }

    private static InetAddress masked(InetAddress a, int prefix) {
        byte[] b = a.getAddress();
        for (int i = 0; i < b.length; i++) {
            int keep = Math.max(0, Math.min(8, prefix - 8 * i));
            b[i] &= (byte) (0xff << (8 - keep));
        }
        try {
            return InetAddress.getByAddress(b);
        } catch (java.net.UnknownHostException e) {
            throw new IllegalStateException(e);
        }
    }

    /** IPv4 before IPv6, then by address, then shorter prefixes first. */
    @Override
    public int compareTo(Cidr o) {
        return ORDER.compare(this, o);
    }

    @Override
    public String toString() {
        return AddressLiterals.format(address) + "/" + prefixLength;
    }
}
