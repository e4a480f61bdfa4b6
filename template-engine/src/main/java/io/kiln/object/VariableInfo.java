package io.kiln.object;

/**
 * A global variable in a data section ({@code .rodata}, {@code .data}, {@code .bss}, {@code .rodata.*}
 * ...). Offsets are those libbpf uses for the section's map: taken from the ELF symbol, because clang
 * leaves them 0 in BTF.
 *
 * @param name     the variable's name
 * @param section  the ELF section holding it
 * @param offset   byte offset in the section
 * @param size     size in bytes
 * @param typeId   BTF type id of the variable's type (not of the BTF VAR), 0 when the object has no BTF
 * @param typeName C-like name of the type, e.g. {@code volatile const __u32}, {@code volatile const __u8[16]};
 *                 empty when the object has no BTF
 */
public record VariableInfo(String name, String section, int offset, int size, int typeId, String typeName) {
}
