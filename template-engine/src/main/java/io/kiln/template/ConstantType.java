package io.kiln.template;

/**
 * Type of an endpoint constant: a {@code volatile const} global in the object's .rodata,
 * set per endpoint at load time. {@link #size()} is its size in bytes in the object.
 */
public enum ConstantType {
    U8("u8", 1),
    U16("u16", 2),
    U32("u32", 4),
    U64("u64", 8),
    BOOL("bool", 1),
    /** IPv4 address, 4 bytes in network byte order. */
    IPV4("ipv4", 4),
    /** IPv6 address, 16 bytes in network byte order. */
    IPV6("ipv6", 16),
    /** MAC address, 6 bytes. */
    MAC("mac", 6);

    private final String yamlName;
    private final int size;

    ConstantType(String yamlName, int size) {
        this.yamlName = yamlName;
        this.size = size;
    }

    public String yamlName() {
        return yamlName;
    }

    public int size() {
        return size;
    }
}
