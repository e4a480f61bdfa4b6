package io.kiln.agent.spec;

import io.kiln.template.ConstantDecl;
import io.kiln.template.ConstantType;
import io.kiln.template.Constants;
import io.kiln.template.ParameterException;

import java.net.Inet4Address;
import java.net.Inet6Address;
import java.net.InetAddress;
import java.net.UnknownHostException;

/**
 * Address literals as specs write them. Parsed by the same code that encodes address constants
 * ({@link Constants}), never by {@link InetAddress#getByName}, which would ask DNS about anything
 * that is not a literal.
 */
public final class AddressLiterals {
    private static final ConstantDecl V4 = new ConstantDecl("address", ConstantType.IPV4, "");
    private static final ConstantDecl V6 = new ConstantDecl("address", ConstantType.IPV6, "");
    private static final ConstantDecl MAC = new ConstantDecl("mac", ConstantType.MAC, "");

    /** IPv4 before IPv6, then numerically. */
    public static final java.util.Comparator<InetAddress> ORDER = AddressLiterals::compare;

    /**
     * {@link #ORDER} without allocating: an IPv4 address's {@code hashCode} is its 32 bits, and
     * unsigned byte order is numeric order for addresses of one length. (It built two BigIntegers
     * per comparison, which was most of the time a DNS-learned address cost the planner.)
     */
    public static int compare(InetAddress a, InetAddress b) {
        boolean a4 = a instanceof Inet4Address;
        boolean b4 = b instanceof Inet4Address;
        if (a4 && b4) {
            return Integer.compareUnsigned(a.hashCode(), b.hashCode());
        }
        if (a4 != b4) {
            return a4 ? -1 : 1;
        }
        return java.util.Arrays.compareUnsigned(a.getAddress(), b.getAddress());
    }

    private AddressLiterals() {
    }

    /** The address, or null when {@code text} is not a dotted quad. */
    public static Inet4Address ipv4(String text) {
        byte[] b = bytes(V4, text);
        return b == null ? null : (Inet4Address) byAddress(b);
    }

    /** The address, or null when {@code text} is not an IPv6 literal. */
    public static Inet6Address ipv6(String text) {
        byte[] b = bytes(V6, text);
        if (b == null) {
            return null;
        }
        InetAddress a = byAddress(b);
        // InetAddress turns ::ffff:a.b.c.d into an Inet4Address: such an address is not an IPv6 endpoint address
        return a instanceof Inet6Address v6 ? v6 : null;
    }

    /** Either family, or null. */
    public static InetAddress any(String text) {
        return text.indexOf(':') >= 0 ? ipv6(text) : ipv4(text);
    }

    /** Six bytes, or null when {@code text} is not {@code 02:00:00:00:00:0c}. */
    public static byte[] mac(String text) {
        return bytes(MAC, text);
    }

    private static byte[] bytes(ConstantDecl decl, String text) {
        try {
            return Constants.encode("spec", decl, text);
        } catch (ParameterException e) {
            return null;
        }
    }

    private static InetAddress byAddress(byte[] b) {
        try {
            return InetAddress.getByAddress(b);
        } catch (UnknownHostException e) {
            throw new IllegalStateException("4 or 16 bytes are always an address", e);
        }
    }

    /** The usual text of an address: dotted quad, or RFC 5952 IPv6 ({@code 2001:db8::1}, not Java's long form). */
    public static String format(InetAddress a) {
        if (a instanceof Inet4Address) {
            return a.getHostAddress();
        }
        byte[] b = a.getAddress();
        int[] g = new int[8];
        for (int i = 0; i < 8; i++) {
            g[i] = ((b[2 * i] & 0xff) << 8) | (b[2 * i + 1] & 0xff);
        }
        int bestStart = -1;
        int bestLen = 1;
        for (int i = 0; i < 8; ) {
            if (g[i] != 0) {
                i++;
                continue;
            }
            int j = i;
            while (j < 8 && g[j] == 0) {
                j++;
            }
            if (j - i > bestLen) {
                bestStart = i;
                bestLen = j - i;
            }
            i = j;
        }
        StringBuilder out = new StringBuilder();
        for (int i = 0; i < 8; i++) {
            if (i == bestStart) {
                out.append("::");
                i += bestLen - 1;
                continue;
            }
            if (out.length() > 0 && out.charAt(out.length() - 1) != ':') {
                out.append(':');
            }
            out.append(Integer.toHexString(g[i]));
        }
        return out.toString();
    }
}
