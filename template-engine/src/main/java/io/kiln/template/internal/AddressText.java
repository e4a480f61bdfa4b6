package io.kiln.template.internal;

import java.util.regex.Pattern;

/**
 * Parses IPv4, IPv6 and MAC address literals into their wire bytes. Written out rather than left
 * to {@link java.net.InetAddress#getByName}, which resolves anything that is not a literal through
 * DNS: a constant must never depend on a name server.
 */
public final class AddressText {
    private static final Pattern MAC = Pattern.compile("[0-9a-fA-F]{2}([:-])[0-9a-fA-F]{2}(\\1[0-9a-fA-F]{2}){4}");

    private AddressText() {
    }

    /** Four bytes in network order from a dotted quad {@code 198.18.0.1}, or null. No leading zeros (octal in C). */
    public static byte[] ipv4(String text) {
        String[] parts = text.split("\\.", -1);
        if (parts.length != 4) {
            return null;
        }
        byte[] out = new byte[4];
        for (int i = 0; i < 4; i++) {
            String p = parts[i];
            if (p.isEmpty() || p.length() > 3 || !p.chars().allMatch(c -> c >= '0' && c <= '9')
                    || (p.length() > 1 && p.charAt(0) == '0')) {
                return null;
            }
            int v = Integer.parseInt(p);
            if (v > 255) {
                return null;
            }
            out[i] = (byte) v;
        }
        return out;
    }

    /**
     * Sixteen bytes in network order from any RFC 4291 text form: full, {@code ::}-compressed, or
     * with a dotted IPv4 tail ({@code ::ffff:198.18.0.1}); or null. Zone ids ({@code %eth0}) are
     * refused: they name an interface on one machine, not an address.
     */
    public static byte[] ipv6(String text) {
        if (text.isEmpty() || text.indexOf('%') >= 0) {
            return null;
        }
        int gap = text.indexOf("::");
        if (gap >= 0 && text.indexOf("::", gap + 1) >= 0) {
            return null;
        }
        byte[] head = gap >= 0 ? groups(text.substring(0, gap), false) : groups(text, true);
        byte[] tail = gap >= 0 ? groups(text.substring(gap + 2), true) : new byte[0];
        if (head == null || tail == null) {
            return null;
        }
        int missing = 16 - head.length - tail.length;
        if (gap < 0 ? missing != 0 : missing < 2) {
            return null;
        }
        byte[] out = new byte[16];
        System.arraycopy(head, 0, out, 0, head.length);
        System.arraycopy(tail, 0, out, 16 - tail.length, tail.length);
        return out;
    }

    /** Colon-separated hex groups, the last one optionally a dotted IPv4 address; empty text is zero groups. */
    private static byte[] groups(String text, boolean ipv4TailAllowed) {
        if (text.isEmpty()) {
            return new byte[0];
        }
        String[] parts = text.split(":", -1);
        byte[] out = new byte[parts.length * 2 + 2];
        int n = 0;
        for (int i = 0; i < parts.length; i++) {
            String p = parts[i];
            if (i == parts.length - 1 && ipv4TailAllowed && p.indexOf('.') >= 0) {
                byte[] v4 = ipv4(p);
                if (v4 == null) {
                    return null;
                }
                System.arraycopy(v4, 0, out, n, 4);
                n += 4;
                continue;
            }
            if (p.isEmpty() || p.length() > 4 || !p.chars().allMatch(AddressText::isHex)) {
                return null;
            }
            int v = Integer.parseInt(p, 16);
            out[n++] = (byte) (v >>> 8);
            out[n++] = (byte) v;
        }
        return n > 16 ? null : java.util.Arrays.copyOf(out, n);
    }

    /** Six bytes from {@code 02:00:00:00:00:0c} or {@code 02-00-00-00-00-0c}, or null. */
    public static byte[] mac(String text) {
        if (!MAC.matcher(text).matches()) {
            return null;
        }
        byte[] out = new byte[6];
        for (int i = 0; i < 6; i++) {
            out[i] = (byte) Integer.parseInt(text.substring(i * 3, i * 3 + 2), 16);
        }
        return out;
    }

    private static boolean isHex(int c) {
        return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F');
    }
}
