package io.kiln.object;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * {@code bpftool btf dump file X} output, parsed into the attributes bpftool prints per type.
 * The oracle the BTF reader is checked against: it shares no code with it.
 */
final class BpftoolBtf {
    private static final Pattern HEADER = Pattern.compile("^\\[(\\d+)] (\\S+) '([^']*)'(.*)$");
    private static final Pattern ATTRIBUTE = Pattern.compile("(\\w+)=(\\([^)]*\\)|[^\\s,]+)");
    private static final Pattern QUOTED = Pattern.compile("^'([^']*)'");

    /** One type line and its indented lines (members, enumerators, parameters, section entries). */
    record Type(int id, String kind, String name, Map<String, String> attributes, List<Line> lines) {
        String get(String attribute) {
            String v = attributes.get(attribute);
            if (v == null) {
                throw new AssertionError("bpftool printed no " + attribute + " for [" + id + "] " + kind + " " + attributes);
            }
            return v;
        }

        int getInt(String attribute) {
            return Integer.parseInt(get(attribute));
        }
    }

    /** An indented line: an optional quoted name and attributes. */
    record Line(String name, Map<String, String> attributes) {
        int getInt(String attribute) {
            return Integer.parseInt(attributes.get(attribute));
        }
    }

    private final Map<Integer, Type> types;

    private BpftoolBtf(Map<Integer, Type> types) {
        this.types = types;
    }

    static BpftoolBtf parse(String dump) {
        Map<Integer, Type> types = new LinkedHashMap<>();
        Type current = null;
        for (String line : dump.split("\n")) {
            if (line.isBlank()) {
                continue;
            }
            if (line.startsWith("\t")) {
                String body = line.strip();
                Matcher q = QUOTED.matcher(body);
                String name = q.find() ? q.group(1) : null;
                body = body.replaceAll("\\((VAR|FUNC) '[^']*'\\)$", "");
                current.lines().add(new Line(name, attributes(name == null ? body : body.substring(q.end()))));
                continue;
            }
            Matcher m = HEADER.matcher(line);
            if (!m.matches()) {
                throw new AssertionError("unexpected bpftool line: " + line);
            }
            current = new Type(Integer.parseInt(m.group(1)), m.group(2), m.group(3), attributes(m.group(4)), new ArrayList<>());
            types.put(current.id(), current);
        }
        return new BpftoolBtf(types);
    }

    private static Map<String, String> attributes(String text) {
        Map<String, String> result = new LinkedHashMap<>();
        Matcher a = ATTRIBUTE.matcher(text);
        while (a.find()) {
            result.put(a.group(1), a.group(2));
        }
        return result;
    }

    Map<Integer, Type> types() {
        return types;
    }

    Type type(int id) {
        Type t = types.get(id);
        if (t == null) {
            throw new AssertionError("bpftool printed no type [" + id + "]");
        }
        return t;
    }

    Type named(String kind, String name) {
        return types.values().stream().filter(t -> t.kind().equals(kind) && t.name().equals(name)).findFirst()
                .orElseThrow(() -> new AssertionError("bpftool printed no " + kind + " '" + name + "'"));
    }

    /** sizeof() computed from bpftool's own numbers, independently of {@link Btf#sizeOf}. */
    long sizeOf(int id) {
        Type t = type(id);
        switch (t.kind()) {
            case "INT", "STRUCT", "UNION", "ENUM", "ENUM64", "FLOAT":
                return t.getInt("size");
            case "PTR":
                return 8;
            case "ARRAY":
                return Long.parseLong(t.get("nr_elems")) * sizeOf(t.getInt("type_id"));
            case "TYPEDEF", "CONST", "VOLATILE", "RESTRICT", "TYPE_TAG", "VAR":
                return sizeOf(t.getInt("type_id"));
            default:
                throw new AssertionError("no size for " + t);
        }
    }

    /** The N of a libbpf {@code __uint(name, N)} member: pointer to an array of N. */
    int uintAttribute(int memberTypeId) {
        Type ptr = type(memberTypeId);
        if (!ptr.kind().equals("PTR")) {
            throw new AssertionError("not __uint: " + ptr);
        }
        return type(ptr.getInt("type_id")).getInt("nr_elems");
    }
}
