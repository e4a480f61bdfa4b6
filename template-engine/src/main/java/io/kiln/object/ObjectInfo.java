package io.kiln.object;

import io.kiln.KilnException;
import io.kiln.object.internal.DataSections;
import io.kiln.object.internal.ElfFile;
import io.kiln.object.internal.ElfSection;
import io.kiln.object.internal.ElfSymbol;
import io.kiln.object.internal.FormatException;
import io.kiln.object.internal.MapDefinitions;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * What a BPF object file (ELF64 little-endian, as {@code clang -target bpf} writes it) declares:
 * its programs, maps, global variables and constants, license, sections and BTF. Read-only and
 * kernel-free: nothing is relocated or loaded (libbpf does that at run time). Everything is decoded
 * when the object is read, so a malformed object fails in {@link #read} and never later.
 */
public final class ObjectInfo {
    private static final String LICENSE_SECTION = "license";
    private static final String MAPS_SECTION = ".maps";
    private static final String BTF_SECTION = ".BTF";
    private static final String TEXT_SECTION = ".text";
    private static final String RODATA_SECTION = ".rodata";

    private final String displayName;
    private final List<SectionInfo> sections;
    private final List<ProgramInfo> programs;
    private final List<MapInfo> maps;
    private final Map<String, List<VariableInfo>> variables;
    private final Optional<String> license;
    private final Btf btf;
    /** The bytes of {@code .rodata} as compiled: the default value of every constant. */
    private final byte[] rodata;

    private ObjectInfo(String displayName, List<SectionInfo> sections, List<ProgramInfo> programs, List<MapInfo> maps,
                       Map<String, List<VariableInfo>> variables, Optional<String> license, Btf btf, byte[] rodata) {
        this.displayName = displayName;
        this.sections = sections;
        this.programs = programs;
        this.maps = maps;
        this.variables = variables;
        this.license = license;
        this.btf = btf;
        this.rodata = rodata;
    }

    /**
     * Reads an object file.
     *
     * @throws InvalidObjectException when it is not a BPF object this reader understands
     * @throws KilnException          when it cannot be read
     */
    public static ObjectInfo read(Path file) {
        byte[] bytes;
        try {
            bytes = Files.readAllBytes(file);
        } catch (IOException e) {
            throw new KilnException("cannot read BPF object " + file + ": " + e, e);
        }
        return read(bytes, file.toString());
    }

    /**
     * Reads an object from its bytes.
     *
     * @param displayName how errors name the object (usually its path)
     * @throws InvalidObjectException when it is not a BPF object this reader understands
     */
    public static ObjectInfo read(byte[] elf, String displayName) {
        try {
            return decode(elf, displayName);
        } catch (FormatException e) {
            throw new InvalidObjectException(displayName, e.getMessage());
        } catch (InvalidObjectException e) {
            throw e;
        } catch (RuntimeException e) {
            // A decoding path without its own check: still the user's file at fault, but say it is our gap.
            throw new InvalidObjectException(displayName, "malformed (internal error while decoding: " + e + ")", e);
        }
    }

    private static ObjectInfo decode(byte[] bytes, String displayName) {
        ElfFile elf = ElfFile.parse(bytes);
        Btf btf = readBtf(elf, displayName);
        Map<String, List<VariableInfo>> variables = new LinkedHashMap<>();
        for (ElfSection s : elf.sections()) {
            if (isDataSection(s)) {
                variables.put(s.name(), DataSections.variables(elf, s, btf));
            }
        }
        List<MapInfo> maps = List.of();
        Optional<ElfSection> mapsSection = elf.section(MAPS_SECTION);
        if (mapsSection.isPresent()) {
            if (btf.isEmpty()) {
                throw new FormatException("section '" + MAPS_SECTION + "' declares maps but the object has no BTF"
                        + " to describe them (compile with -g)");
            }
            maps = MapDefinitions.read(btf, variables.getOrDefault(MAPS_SECTION, List.of()));
        }
        byte[] rodata = elf.section(RODATA_SECTION).filter(ElfSection::hasFileData).map(s -> elf.data(s).bytes())
                .orElse(new byte[0]);
        return new ObjectInfo(displayName, sections(elf), programs(elf), maps, Map.copyOf(variables), license(elf), btf,
                rodata);
    }

    private static boolean isDataSection(ElfSection s) {
        return s.index() != 0 && (s.flags() & SectionInfo.SHF_ALLOC) != 0 && !s.executable()
                && (s.type() == SectionInfo.SHT_PROGBITS || s.type() == SectionInfo.SHT_NOBITS);
    }

    private static Btf readBtf(ElfFile elf, String displayName) {
        Optional<ElfSection> section = elf.section(BTF_SECTION);
        if (section.isEmpty()) {
            return Btf.empty(displayName);
        }
        try {
            return Btf.parse(elf.data(section.get()).bytes(), displayName);
        } catch (InvalidObjectException e) {
            throw new FormatException("section [" + section.get().index() + "] '" + BTF_SECTION + "': " + e.problem());
        }
    }

    private static List<SectionInfo> sections(ElfFile elf) {
        List<SectionInfo> result = new ArrayList<>();
        for (ElfSection s : elf.sections()) {
            if (s.index() != 0) {
                result.add(new SectionInfo(s.index(), s.name(), s.type(), s.flags(), s.size()));
            }
        }
        return List.copyOf(result);
    }

    private static List<ProgramInfo> programs(ElfFile elf) {
        List<ElfSymbol> entries = new ArrayList<>();
        for (ElfSymbol s : elf.symbols()) {
            Optional<ElfSection> section = elf.sectionOf(s);
            if (s.type() == ElfSymbol.STT_FUNC && s.isGlobalOrWeak() && section.isPresent()
                    && section.get().executable() && !section.get().name().equals(TEXT_SECTION)) {
                entries.add(s);
            }
        }
        entries.sort(Comparator.comparingInt(ElfSymbol::section).thenComparingLong(ElfSymbol::value));
        List<ProgramInfo> result = new ArrayList<>();
        for (ElfSymbol s : entries) {
            long instructions = s.size() / 8;
            if (s.size() < 0 || instructions > Integer.MAX_VALUE) {
                throw new FormatException("program '" + s.name() + "' has impossible size " + Long.toUnsignedString(s.size()));
            }
            result.add(new ProgramInfo(s.name(), elf.sectionOf(s).orElseThrow().name(), (int) instructions));
        }
        return List.copyOf(result);
    }

    private static Optional<String> license(ElfFile elf) {
        return elf.section(LICENSE_SECTION).filter(ElfSection::hasFileData).map(s -> {
            byte[] bytes = elf.data(s).bytes();
            int end = 0;
            while (end < bytes.length && bytes[end] != 0) {
                end++;
            }
            return new String(bytes, 0, end, StandardCharsets.UTF_8);
        });
    }

    /** How errors name this object (usually its path). */
    public String displayName() {
        return displayName;
    }

    /** Section headers, in file order, without the null section 0. */
    public List<SectionInfo> sections() {
        return sections;
    }

    public Optional<SectionInfo> section(String name) {
        return sections.stream().filter(s -> s.name().equals(name)).findFirst();
    }

    /** Entry-point programs, in section order then offset order. */
    public List<ProgramInfo> programs() {
        return programs;
    }

    public Optional<ProgramInfo> program(String name) {
        return programs.stream().filter(p -> p.name().equals(name)).findFirst();
    }

    /** BTF-defined maps of the {@code .maps} section, in offset order. */
    public List<MapInfo> maps() {
        return maps;
    }

    public Optional<MapInfo> map(String name) {
        return maps.stream().filter(m -> m.name().equals(name)).findFirst();
    }

    /**
     * Global variables of a data section ({@code .rodata}, {@code .data}, {@code .bss}, {@code .rodata.foo},
     * {@code .maps} ...), in offset order; empty when the object has no such section.
     */
    public List<VariableInfo> variables(String section) {
        return variables.getOrDefault(section, List.of());
    }

    /** The load-time constants: the variables of {@code .rodata} ({@code volatile const} globals). */
    public List<VariableInfo> constants() {
        return variables(".rodata");
    }

    public Optional<VariableInfo> constant(String name) {
        return constants().stream().filter(v -> v.name().equals(name)).findFirst();
    }

    /**
     * The value a constant has in the object as compiled (its C initializer), {@code size} bytes in
     * the object's byte order; empty when there is no such constant.
     */
    public Optional<byte[]> constantDefault(String name) {
        return constant(name).map(v -> v.offset() + v.size() <= rodata.length
                ? java.util.Arrays.copyOfRange(rodata, v.offset(), v.offset() + v.size()) : new byte[v.size()]);
    }

    /** The string in the {@code license} section ({@code char LICENSE[] SEC("license")}), if any. */
    public Optional<String> license() {
        return license;
    }

    /** The object's BTF; {@link Btf#isEmpty() empty} when it was compiled without {@code -g}. */
    public Btf btf() {
        return btf;
    }

    @Override
    public String toString() {
        return "ObjectInfo[" + displayName + ": " + programs.size() + " program(s), " + maps.size() + " map(s), "
                + constants().size() + " constant(s)]";
    }
}
