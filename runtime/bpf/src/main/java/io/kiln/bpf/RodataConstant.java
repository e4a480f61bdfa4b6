package io.kiln.bpf;

/**
 * A {@code volatile const} variable in an object's {@code .rodata}, as its BTF describes it: an
 * endpoint constant set with {@link BpfObject#setConstant} before load.
 *
 * @param name   the C variable name
 * @param offset byte offset in the {@code .rodata} section
 * @param size   size in bytes
 * @param type   the C type as written, qualifiers dropped: {@code __u16}, {@code __u8[6]}, {@code struct in6_addr}
 * @param signed true for a signed integer type (after typedefs)
 */
public record RodataConstant(String name, int offset, int size, String type, boolean signed) {
}
