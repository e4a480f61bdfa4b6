package io.kiln.lab;

import java.net.InetAddress;
import java.net.UnknownHostException;
import java.util.regex.Pattern;

/** Parses and prints the address literals packets and maps are written with: never a DNS lookup. */
public final class Addresses {
    private static final Pattern IPV4 = Pattern.compile("\\d{1,3}(\\.\\d{1,3}){3}");
    private static final Pattern MAC = Pattern.compile("[0-9a-fA-F]{2}(:[0-9a-fA-F]{2}){5}");

    private Addresses() {
    }

    /** 4 bytes (network order) for {@code "198.18.0.1"}. */
    public static byte[] ipv4(String text) {
        if (text == null || !IPV4.matcher(text).matches()) {
            throw new IllegalArgumentException("'" + text + "' is not an IPv4 address like 198.18.0.1");
        }
        byte[] out = new byte[4];
        String[] parts = text.split("\\.");
        for (int i = 0; i < 4; i++) {
            int v = Integer.parseInt(parts[i]);
            if (v > 255) {
                throw new IllegalArgumentException("'" + text + "' is not an IPv4 address (" + v + " > 255)");
            }
            out[i] = (byte) v;
        }
        return out;
    }

    /** 16 bytes for an IPv6 literal such as {@code "2001:2::c"}. */
    public static byte[] ipv6(String text) {
        if (text == null || text.indexOf(':') < 0 || !text.matches("[0-9a-fA-F:.]+")) {
            throw new IllegalArgumentException("'" + text + "' is not an IPv6 address like 2001:2::c");
        }
        try {
            byte[] b = InetAddress.getByName(text).getAddress(); // a literal: parsed, never resolved
            if (b.length != 16) {
                throw new IllegalArgumentException("'" + text + "' is not an IPv6 address");
            }
            return b;
        } catch (UnknownHostException e) {
            throw new IllegalArgumentException("'" + text + "' is not an IPv6 address: " + e.getMessage(), e);
        }
    }

    /** 4 or 16 bytes, whichever family the literal is. */
    public static byte[] ip(String text) {
        return text != null && text.indexOf(':') >= 0 ? ipv6(text) : ipv4(text);
    }

    /** 6 bytes for {@code "02:00:00:00:00:0c"}. */
    public static byte[] mac(String text) {
        if (text == null || !MAC.matcher(text).matches()) {
            throw new IllegalArgumentException("'" + text + "' is not a MAC address like 02:00:00:00:00:0c");
        }
        byte[] out = new byte[6];
        for (int i = 0; i < 6; i++) {
            out[i] = (byte) Integer.parseInt(text.substring(3 * i, 3 * i + 2), 16);
        }
        return out;
    }

    /** {@code "198.18.0.1"}, or an IPv6 address in its compressed form. */
    public static String ipText(byte[] address) {
        if (address.length == 4) {
            return (address[0] & 0xff) + "." + (address[1] & 0xff) + "." + (address[2] & 0xff) + "." + (address[3] & 0xff);
        }
        try {
            return compress(InetAddress.getByAddress(address).getHostAddress());
        } catch (UnknownHostException e) {
            throw new IllegalArgumentException("not an address: " + address.length + " bytes", e);
        }
    }

    /** {@code "02:00:00:00:00:0c"}, lower case. */
    public static String macText(byte[] mac) {
        StringBuilder sb = new StringBuilder();
        for (int i = 0; i < mac.length; i++) {
            if (i > 0) {
                sb.append(':');
            }
            sb.append(String.format("%02x", mac[i] & 0xff));
        }
        return sb.toString();
    }

    /** Java prints 2001:2:0:0:0:0:0:c; tests write 2001:2::c (the longest run of zero groups becomes ::). */
    private static String compress(String full) {
        String[] groups = full.split(":");
        int bestStart = -1;
        int bestLen = 0;
        for (int i = 0; i < groups.length; ) {
            if (groups[i].equals("0")) {
                int j = i;
                while (j < groups.length && groups[j].equals("0")) {
                    j++;
                }
                if (j - i > bestLen && j - i > 1) {
                    bestStart = i;
                    bestLen = j - i;
                }
                i = j;
            } else {
                i++;
            }
        }
        if (bestStart < 0) {
            return full;
        }
        String head = String.join(":", java.util.Arrays.copyOfRange(groups, 0, bestStart));
        String tail = String.join(":", java.util.Arrays.copyOfRange(groups, bestStart + bestLen, groups.length));
        return head + "::" + tail;
    }
}
