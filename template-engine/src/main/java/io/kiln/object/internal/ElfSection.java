package io.kiln.object.internal;

/** One ELF64 section header, with its name resolved. */
public record ElfSection(int index, String name, int type, long flags, long offset, long size, int link,
                         int info, long entrySize) {
    public static final int SHT_SYMTAB = 2;
    public static final int SHT_NOBITS = 8;
    public static final long SHF_EXECINSTR = 0x4;

    public boolean hasFileData() {
        return type != SHT_NOBITS && type != 0;
    }

    public boolean executable() {
        return (flags & SHF_EXECINSTR) != 0;
    }
}
