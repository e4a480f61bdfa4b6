package io.kiln.object.internal;

import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import java.util.Optional;

/**
 * The parts of an ELF64 little-endian relocatable BPF object that Kiln reads: section headers with
 * their names, and the symbol table. Nothing is relocated.
 */
public final class ElfFile {
    private static final int EHDR_SIZE = 64;
    private static final int SHDR_SIZE = 64;
    private static final int SYM_SIZE = 24;
    private static final int ET_REL = 1;
    private static final int EM_NONE = 0;
    private static final int EM_BPF = 247;
    private static final int SHN_UNDEF = 0;
    private static final int SHN_LORESERVE = 0xff00;
    private static final int SHN_XINDEX = 0xffff;

    private final ByteReader file;
    private final List<ElfSection> sections;
    private final List<ElfSymbol> symbols;

    private ElfFile(ByteReader file, List<ElfSection> sections, List<ElfSymbol> symbols) {
        this.file = file;
        this.sections = sections;
        this.symbols = symbols;
    }

    public static ElfFile parse(byte[] bytes) {
        ByteReader file = ByteReader.of(bytes, "the file");
        checkIdentity(file);
        List<ElfSection> sections = readSections(file);
        List<ElfSymbol> symbols = readSymbols(file, sections);
        return new ElfFile(file, sections, symbols);
    }

    private static void checkIdentity(ByteReader file) {
        if (file.length() == 0) {
            throw new FormatException("the file is empty");
        }
        if (file.length() < 4 || file.u8(0) != 0x7f || file.u8(1) != 'E' || file.u8(2) != 'L' || file.u8(3) != 'F') {
            int n = Math.min(4, file.length());
            throw new FormatException("not an ELF file (starts with 0x"
                    + HexFormat.of().formatHex(file.slice(0, n, "magic").bytes()) + ", not 0x7f454c46)");
        }
        if (file.length() < EHDR_SIZE) {
            throw new FormatException("truncated: " + file.length() + " bytes, an ELF64 header alone needs " + EHDR_SIZE);
        }
        int elfClass = file.u8(4);
        if (elfClass != 2) {
            throw new FormatException(elfClass == 1 ? "32-bit ELF; BPF objects are ELF64" : "unknown ELF class " + elfClass);
        }
        int encoding = file.u8(5);
        if (encoding != 1) {
            throw new FormatException(encoding == 2
                    ? "big-endian ELF; only little-endian BPF objects are supported (clang -target bpf on x86, or -target bpfel)"
                    : "unknown ELF data encoding " + encoding);
        }
        int type = file.u16(16);
        if (type != ET_REL) {
            throw new FormatException("ELF type " + type + " is not a relocatable object (ET_REL, as clang -c writes)");
        }
        int machine = file.u16(18);
        if (machine != EM_BPF && machine != EM_NONE) {
            throw new FormatException("ELF machine " + machine + " is not BPF (" + EM_BPF + "); compile with clang -target bpf");
        }
    }

    private static List<ElfSection> readSections(ByteReader file) {
        long shoff = file.i64(0x28);
        int shentsize = file.u16(0x3a);
        long shnum = file.u16(0x3c);
        int shstrndx = file.u16(0x3e);
        if (shoff == 0) {
            throw new FormatException("the ELF header declares no section headers");
        }
        if (shentsize != SHDR_SIZE) {
            throw new FormatException("ELF section header size is " + shentsize + ", not " + SHDR_SIZE);
        }
        ByteReader first = file.slice(shoff, SHDR_SIZE, "section header [0]");
        if (shnum == 0) { // more than 0xff00 sections: the real count is in section 0
            shnum = first.i64(32);
        }
        if (shstrndx == SHN_XINDEX) {
            shstrndx = first.i32(40);
        }
        if (shnum <= 0 || shnum > file.length() / SHDR_SIZE) {
            throw new FormatException("section count " + shnum + " does not fit in the file");
        }
        ByteReader table = file.slice(shoff, shnum * SHDR_SIZE, "the section header table");
        if (shstrndx <= 0 || shstrndx >= shnum) {
            throw new FormatException("section name table index " + shstrndx + " is not a section (there are " + shnum + ")");
        }
        ByteReader names = sectionData(file, table, shstrndx, "section name table [" + shstrndx + "]");
        List<ElfSection> sections = new ArrayList<>((int) shnum);
        for (int i = 0; i < shnum; i++) {
            ByteReader h = table.slice((long) i * SHDR_SIZE, SHDR_SIZE, "section header [" + i + "]");
            String name = i == 0 ? "" : names.cString(Integer.toUnsignedLong(h.i32(0)));
            ElfSection s = new ElfSection(i, name, h.i32(4), h.i64(8), h.i64(24), h.i64(32), h.i32(40), h.i32(44), h.i64(56));
            if (s.hasFileData()) {
                file.slice(s.offset(), s.size(), "section [" + i + "] '" + name + "'");
            }
            sections.add(s);
        }
        return List.copyOf(sections);
    }

    private static ByteReader sectionData(ByteReader file, ByteReader table, int index, String what) {
        ByteReader h = table.slice((long) index * SHDR_SIZE, SHDR_SIZE, "section header [" + index + "]");
        return file.slice(h.i64(24), h.i64(32), what);
    }

    private static List<ElfSymbol> readSymbols(ByteReader file, List<ElfSection> sections) {
        ElfSection symtab = null;
        for (ElfSection s : sections) {
            if (s.type() == ElfSection.SHT_SYMTAB) {
                if (symtab != null) {
                    throw new FormatException("more than one symbol table (sections [" + symtab.index() + "] and [" + s.index() + "])");
                }
                symtab = s;
            }
        }
        if (symtab == null) {
            return List.of();
        }
        String where = "symbol table [" + symtab.index() + "] '" + symtab.name() + "'";
        if (symtab.entrySize() != SYM_SIZE) {
            throw new FormatException(where + " has entry size " + symtab.entrySize() + ", not " + SYM_SIZE);
        }
        if (symtab.link() <= 0 || symtab.link() >= sections.size()) {
            throw new FormatException(where + " links to string table [" + symtab.link() + "], which is not a section");
        }
        ElfSection strtab = sections.get(symtab.link());
        ByteReader strings = file.slice(strtab.offset(), strtab.size(), "string table [" + strtab.index() + "] '" + strtab.name() + "'");
        ByteReader table = file.slice(symtab.offset(), symtab.size(), where);
        long count = symtab.size() / SYM_SIZE;
        List<ElfSymbol> symbols = new ArrayList<>((int) count);
        for (int i = 0; i < count; i++) {
            ByteReader e = table.slice((long) i * SYM_SIZE, SYM_SIZE, "symbol [" + i + "]");
            int info = e.u8(4);
            int shndx = e.u16(6);
            String name = strings.cString(Integer.toUnsignedLong(e.i32(0)));
            if (shndx != SHN_UNDEF && shndx < SHN_LORESERVE && shndx >= sections.size()) {
                throw new FormatException("symbol [" + i + "] '" + name + "' is in section [" + shndx
                        + "], which does not exist (there are " + sections.size() + ")");
            }
            symbols.add(new ElfSymbol(name, info & 0xf, info >> 4, shndx, e.i64(8), e.i64(16)));
        }
        return List.copyOf(symbols);
    }

    public List<ElfSection> sections() {
        return sections;
    }

    public List<ElfSymbol> symbols() {
        return symbols;
    }

    public Optional<ElfSection> section(String name) {
        return sections.stream().filter(s -> s.index() != 0 && s.name().equals(name)).findFirst();
    }

    /** The section holding a symbol, if the symbol is in a regular section. */
    public Optional<ElfSection> sectionOf(ElfSymbol symbol) {
        int i = symbol.section();
        return i != SHN_UNDEF && i < SHN_LORESERVE ? Optional.of(sections.get(i)) : Optional.empty();
    }

    /** The file bytes of a section (empty for NOBITS sections such as {@code .bss}). */
    public ByteReader data(ElfSection section) {
        String what = "section [" + section.index() + "] '" + section.name() + "'";
        return section.hasFileData() ? file.slice(section.offset(), section.size(), what) : file.slice(0, 0, what);
    }
}
