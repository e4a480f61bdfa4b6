package io.kiln.object.internal;

import io.kiln.object.Btf;
import io.kiln.object.BtfType;
import io.kiln.object.InvalidObjectException;
import io.kiln.object.VariableInfo;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * The global variables of a data section, from its BTF DATASEC when there is one (names, types,
 * sizes), placed at the offsets of their ELF symbols, which is what libbpf does at open time
 * because clang leaves DATASEC offsets 0. Without BTF, the section's ELF object symbols.
 */
public final class DataSections {
    private DataSections() {
    }

    public static List<VariableInfo> variables(ElfFile elf, ElfSection section, Btf btf) {
        Optional<BtfType.DataSec> dataSec = btf.dataSec(section.name());
        List<VariableInfo> result = new ArrayList<>();
        if (dataSec.isPresent()) {
            int i = 0;
            for (BtfType.VarSecInfo entry : dataSec.get().variables()) {
                result.add(fromBtf(elf, section, btf, entry, i++));
            }
        } else {
            for (ElfSymbol s : elf.symbols()) {
                if (s.section() == section.index() && s.type() == ElfSymbol.STT_OBJECT && !s.name().isEmpty()) {
                    result.add(checked(section, new VariableInfo(s.name(), section.name(), toInt(s.value(), s.name()),
                            toInt(s.size(), s.name()), 0, "")));
                }
            }
        }
        result.sort(Comparator.comparingInt(VariableInfo::offset).thenComparing(VariableInfo::name));
        checkNames(section, result);
        return List.copyOf(result);
    }

    /**
     * Variables are found by name (a constant is set by its name), so each has one, and only one
     * variable of the section has it; C compilers never write otherwise, and the kernel refuses a
     * BTF VAR without a name.
     */
    private static void checkNames(ElfSection section, List<VariableInfo> variables) {
        Map<String, VariableInfo> byName = new HashMap<>();
        for (VariableInfo v : variables) {
            if (v.name().isEmpty()) {
                throw new FormatException("a variable of section [" + section.index() + "] '" + section.name()
                        + "' (offset " + v.offset() + ", size " + v.size() + ") has no name");
            }
            VariableInfo first = byName.putIfAbsent(v.name(), v);
            if (first != null) {
                throw new FormatException("section [" + section.index() + "] '" + section.name()
                        + "' has two variables named '" + v.name() + "' (offsets " + first.offset() + " and "
                        + v.offset() + ")");
            }
        }
    }

    private static VariableInfo fromBtf(ElfFile elf, ElfSection section, Btf btf, BtfType.VarSecInfo entry, int index) {
        BtfType t = btf.type(entry.typeId());
        if (!(t instanceof BtfType.Var var)) {
            throw new FormatException("BTF DATASEC '" + section.name() + "' entry " + index + " is " + t.kind() + ", not VAR");
        }
        Optional<ElfSymbol> symbol = elf.symbols().stream()
                .filter(s -> s.section() == section.index() && s.name().equals(var.name()))
                .findFirst();
        long offset = symbol.map(ElfSymbol::value).orElse(Integer.toUnsignedLong(entry.offset()));
        long size = entry.size() != 0 ? Integer.toUnsignedLong(entry.size())
                : symbol.map(ElfSymbol::size).orElseGet(() -> (long) sizeOf(btf, var));
        return checked(section, new VariableInfo(var.name(), section.name(), toInt(offset, var.name()),
                toInt(size, var.name()), var.typeId(), btf.typeName(var.typeId())));
    }

    private static int sizeOf(Btf btf, BtfType.Var var) {
        try {
            return btf.sizeOf(var.id());
        } catch (InvalidObjectException e) {
            throw new FormatException("variable '" + var.name() + "': " + e.problem());
        }
    }

    private static VariableInfo checked(ElfSection section, VariableInfo v) {
        if ((long) v.offset() + v.size() > section.size()) {
            throw new FormatException("variable '" + v.name() + "' (offset " + v.offset() + ", size " + v.size()
                    + ") lies outside section [" + section.index() + "] '" + section.name() + "' (" + section.size() + " bytes)");
        }
        return v;
    }

    private static int toInt(long value, String name) {
        if (value < 0 || value > Integer.MAX_VALUE) {
            throw new FormatException("variable '" + name + "' has offset or size " + Long.toUnsignedString(value) + ", beyond 2 GiB");
        }
        return (int) value;
    }
}
