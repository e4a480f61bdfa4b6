package io.kiln.template;

import io.kiln.template.internal.AddressText;
import io.kiln.template.internal.IntegerText;

import java.math.BigInteger;
import java.net.Inet4Address;
import java.net.Inet6Address;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.stream.Collectors;

/**
 * Encodes endpoint constants into the bytes their {@code volatile const} globals hold in an
 * object's {@code .rodata}. Integers are little-endian: objects are built for {@code bpfel}
 * (clang's {@code -target bpf} on x86 and arm64 hosts), whose byte order is the host's.
 * Addresses are in network byte order, as packets carry them, so a program compares them with
 * header fields directly.
 */
public final class Constants {
    private Constants() {
    }

    /**
     * The bytes of one constant, {@link ConstantType#size()} long. {@code value} is a String (from
     * a command line or spec) or typed: Boolean for bool, an integral Number for u8..u64,
     * {@link Inet4Address}/{@link Inet6Address} for addresses. Integers accept decimal and
     * {@code 0x} hex; u64 goes up to 2^64-1.
     *
     * @throws ParameterException when the value does not fit the constant's type
     */
    public static byte[] encode(String templateName, ConstantDecl c, Object value) {
        byte[] out = switch (c.type()) {
            case U8, U16, U32, U64 -> unsigned(c.type().size(), value);
            case BOOL -> bool(value);
            case IPV4 -> value instanceof Inet4Address a ? a.getAddress()
                    : value instanceof String s ? AddressText.ipv4(s) : null;
            case IPV6 -> value instanceof Inet6Address a ? a.getAddress()
                    : value instanceof String s ? AddressText.ipv6(s) : null;
            case MAC -> value instanceof String s ? AddressText.mac(s) : null;
        };
        if (out == null) {
            throw new ParameterException(templateName, c.name(), "template " + templateName + ": constant " + c.name()
                    + ": expected " + expectation(c.type()) + ", got " + IntegerText.describe(value));
        }
        return out;
    }

    /**
     * Encodes the given constants, in the order the descriptor declares them. Declared constants
     * not given are absent from the result: they keep the value compiled into the object.
     *
     * @throws ParameterException for a name the template does not declare, or a bad value
     */
    public static Map<String, byte[]> encodeAll(TemplateDescriptor t, Map<String, ?> given) {
        for (String name : given.keySet()) {
            if (t.constant(name).isEmpty()) {
                String declared = t.constants().isEmpty() ? "the template declares no constants"
                        : "declared: " + t.constants().stream().map(ConstantDecl::name).collect(Collectors.joining(", "));
                throw new ParameterException(t.name(), name, "template " + t.name() + ": unknown constant '" + name
                        + "'; " + declared);
            }
        }
        Map<String, byte[]> out = new LinkedHashMap<>();
        for (ConstantDecl c : t.constants()) {
            if (given.containsKey(c.name())) {
                out.put(c.name(), encode(t.name(), c, given.get(c.name())));
            }
        }
        return out;
    }

    private static byte[] unsigned(int size, Object value) {
        BigInteger v = value instanceof String s ? IntegerText.parse(s) : IntegerText.ofNumber(value);
        if (v == null || v.signum() < 0 || v.bitLength() > size * 8) {
            return null;
        }
        byte[] out = new byte[size];
        for (int i = 0; i < size; i++) {
            out[i] = v.shiftRight(8 * i).byteValue();
        }
        return out;
    }

    private static byte[] bool(Object value) {
        if (value instanceof Boolean b) {
            return new byte[] {(byte) (b ? 1 : 0)};
        }
        if ("true".equals(value) || "false".equals(value)) {
            return new byte[] {(byte) ("true".equals(value) ? 1 : 0)};
        }
        return null;
    }

    private static String expectation(ConstantType type) {
        return switch (type) {
            case U8, U16, U32, U64 -> "an integer from 0 to "
                    + BigInteger.ONE.shiftLeft(type.size() * 8).subtract(BigInteger.ONE);
            case BOOL -> "true or false";
            case IPV4 -> "an IPv4 address like 198.18.0.1";
            case IPV6 -> "an IPv6 address like 2001:db8::1";
            case MAC -> "a MAC address like 02:00:00:00:00:0c";
        };
    }
}
