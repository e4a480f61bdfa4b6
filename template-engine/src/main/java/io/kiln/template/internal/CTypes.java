package io.kiln.template.internal;

import io.kiln.template.ConstantDecl;
import io.kiln.template.ConstantType;

/**
 * The C type each constant type is declared with. Addresses use big-endian types because they
 * hold network byte order: an IPv4 constant compares directly with {@code iphdr.saddr}, an IPv6
 * one word by word with {@code in6_addr.in6_u.u6_addr32}.
 */
public final class CTypes {
    private CTypes() {
    }

    /** The element type: {@code __u16}, {@code __be32}... */
    public static String ctype(ConstantType t) {
        return switch (t) {
            case U8, BOOL, MAC -> "__u8";
            case U16 -> "__u16";
            case U32 -> "__u32";
            case U64 -> "__u64";
            case IPV4, IPV6 -> "__be32";
        };
    }

    /** Array length, or 0 for a scalar. */
    public static int length(ConstantType t) {
        return switch (t) {
            case IPV6 -> 4;
            case MAC -> 6;
            default -> 0;
        };
    }

    /** {@code __u16 ENDPOINT_ID} or {@code __u8 ENDPOINT_MAC[6]}. */
    public static String declaration(ConstantDecl c) {
        int n = length(c.type());
        return ctype(c.type()) + " " + c.name() + (n > 0 ? "[" + n + "]" : "");
    }

    public static String zero(ConstantDecl c) {
        return length(c.type()) > 0 ? "{0}" : "0";
    }
}
