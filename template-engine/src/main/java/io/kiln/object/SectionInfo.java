package io.kiln.object;

/**
 * An ELF section header of the object.
 *
 * @param index ELF section index (1-based; index 0 is the null section and never listed)
 * @param name  section name, e.g. {@code .rodata}, {@code tc}, {@code .BTF}
 * @param type  {@code sh_type}, e.g. 1 PROGBITS, 8 NOBITS
 * @param flags {@code sh_flags}
 * @param size  {@code sh_size} in bytes (for NOBITS, such as {@code .bss}, not present in the file)
 */
public record SectionInfo(int index, String name, int type, long flags, long size) {
    public static final int SHT_PROGBITS = 1;
    public static final int SHT_NOBITS = 8;
    public static final long SHF_WRITE = 0x1;
    public static final long SHF_ALLOC = 0x2;
    public static final long SHF_EXECINSTR = 0x4;

    public boolean executable() {
        return (flags & SHF_EXECINSTR) != 0;
    }

    public boolean allocated() {
        return (flags & SHF_ALLOC) != 0;
    }

    public boolean writable() {
        return (flags & SHF_WRITE) != 0;
    }
}
