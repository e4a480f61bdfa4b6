package io.kiln.object;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/** {@code llvm-objdump -h} and {@code llvm-readelf -s} output, parsed: the ELF oracle. */
final class LlvmElf {
    private static final Pattern SECTION = Pattern.compile("^\\s*(\\d+)\\s+(\\S+)\\s+([0-9a-f]{8,16})\\s+[0-9a-f]+.*$");

    record Section(int index, String name, long size) {
    }

    record Symbol(long value, long size, String type, String bind, String ndx, String name) {
    }

    private LlvmElf() {
    }

    /** Sections by index, from {@code llvm-objdump -h}. */
    static Map<Integer, Section> sections(String objdumpH) {
        Map<Integer, Section> result = new LinkedHashMap<>();
        for (String line : objdumpH.split("\n")) {
            Matcher m = SECTION.matcher(line);
            if (m.matches()) {
                int index = Integer.parseInt(m.group(1));
                result.put(index, new Section(index, m.group(2), Long.parseLong(m.group(3), 16)));
            }
        }
        return result;
    }

    /** Symbols from {@code llvm-readelf -s --wide}. */
    static List<Symbol> symbols(String readelfS) {
        List<Symbol> result = new ArrayList<>();
        for (String line : readelfS.split("\n")) {
            String[] f = line.trim().split("\\s+");
            if (f.length == 8 && f[0].matches("\\d+:")) {
                result.add(new Symbol(Long.parseLong(f[1], 16), Long.parseLong(f[2]), f[3], f[4], f[6], f[7]));
            }
        }
        return result;
    }
}
