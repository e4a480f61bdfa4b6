package io.kiln.yaml;

import java.math.BigInteger;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Typed access to a {@link LocatedNode} tree, shared by every reader of user YAML (template
 * descriptors, agent specs) so that they all word their errors alike. Every accessor takes the
 * dotted path of the value, so that a failure is the reader's own {@link LocatedException} naming
 * source, line and field.
 */
public final class LocatedFields<E extends LocatedException> {
    /** Makes the reader's exception for a problem at a place. */
    @FunctionalInterface
    public interface Errors<E> {
        E at(int line, int column, String field, String reason);
    }

    private final Errors<E> errors;

    public LocatedFields(Errors<E> errors) {
        this.errors = errors;
    }

    public static String child(String path, String key) {
        return LocatedTreeReader.child(path, key);
    }

    public static String item(String path, int index) {
        return LocatedTreeReader.item(path, index);
    }

    public E error(LocatedNode at, String path, String reason) {
        return errors.at(at.line(), at.column(), path, reason);
    }

    public E error(LocatedNode.Entry at, String path, String reason) {
        return errors.at(at.line(), at.column(), path, reason);
    }

    /** Every field path under {@code root} with its line, in document order. */
    public static Map<String, Integer> lines(LocatedNode root) {
        Map<String, Integer> lines = new LinkedHashMap<>();
        index(root, "", lines);
        return lines;
    }

    private static void index(LocatedNode node, String path, Map<String, Integer> lines) {
        if (node.line() > 0 && !path.isEmpty()) {
            lines.putIfAbsent(path, node.line());
        }
        if (node instanceof LocatedNode.Mapping m) {
            for (LocatedNode.Entry e : m.entries().values()) {
                String p = child(path, e.key());
                if (e.line() > 0) {
                    lines.put(p, e.line());
                }
                index(e.value(), p, lines);
            }
        } else if (node instanceof LocatedNode.Sequence s) {
            for (int i = 0; i < s.items().size(); i++) {
                index(s.items().get(i), item(path, i), lines);
            }
        }
    }

    public LocatedNode.Mapping mapping(LocatedNode node, String path) {
        if (node instanceof LocatedNode.Mapping m) {
            return m;
        }
        throw error(node, path, "expected a mapping, got " + LocatedNode.describe(node));
    }

    /** The mapping at {@code key}, or an empty one when absent or null. */
    public LocatedNode.Mapping optionalMapping(LocatedNode.Mapping parent, String path, String key) {
        LocatedNode.Entry e = parent.entries().get(key);
        if (e == null || LocatedNode.isNull(e.value())) {
            return new LocatedNode.Mapping(e == null ? parent.line() : e.line(), 0, Map.of());
        }
        return mapping(e.value(), child(path, key));
    }

    /** A mapping, or an empty one when the entry is absent or YAML null ({@code build:} with nothing after it). */
    public LocatedNode.Mapping optionalMapping(LocatedNode.Entry entry, String path) {
        if (entry == null || LocatedNode.isNull(entry.value())) {
            return new LocatedNode.Mapping(entry == null ? 0 : entry.line(), entry == null ? 0 : entry.column(), Map.of());
        }
        return mapping(entry.value(), path);
    }

    public LocatedNode.Sequence sequence(LocatedNode node, String path) {
        if (node instanceof LocatedNode.Sequence s) {
            return s;
        }
        throw error(node, path, "expected a list, got " + LocatedNode.describe(node));
    }

    /** The list at {@code key}: empty when absent or null. */
    public List<LocatedNode> optionalList(LocatedNode.Mapping parent, String path, String key) {
        LocatedNode.Entry e = parent.entries().get(key);
        if (e == null || LocatedNode.isNull(e.value())) {
            return List.of();
        }
        return sequence(e.value(), child(path, key)).items();
    }

    /**
     * Rejects any key not in {@code allowed}: "unknown field 'x' in WHAT; allowed: a, b", the form
     * every reader uses; {@code what} names the mapping ("an endpoint", "a bool parameter").
     */
    public void allowOnly(LocatedNode.Mapping m, String path, List<String> allowed, String what) {
        for (LocatedNode.Entry e : m.entries().values()) {
            if (!allowed.contains(e.key())) {
                throw error(e, child(path, e.key()), "unknown field '" + e.key() + "' in " + what
                        + "; allowed: " + String.join(", ", allowed));
            }
        }
    }

    /** The value at {@code key}; absent or YAML null is "missing required field". */
    public LocatedNode required(LocatedNode.Mapping m, String path, String key) {
        LocatedNode.Entry e = m.entries().get(key);
        if (e == null || LocatedNode.isNull(e.value())) {
            throw error(e == null ? m : e.value(), child(path, key), "missing required field '" + key + "'");
        }
        return e.value();
    }

    /** The value at {@code key}, which may be YAML null (for readers that say what else was expected); absent is missing. */
    public LocatedNode present(LocatedNode.Mapping m, String path, String key) {
        LocatedNode.Entry e = m.entries().get(key);
        if (e == null) {
            throw error(m, child(path, key), "missing required field '" + key + "'");
        }
        return e.value();
    }

    /** The value at {@code key}, or null when absent or YAML null. */
    public static LocatedNode optional(LocatedNode.Mapping m, String key) {
        LocatedNode.Entry e = m.entries().get(key);
        return e == null || LocatedNode.isNull(e.value()) ? null : e.value();
    }

    /** A string; numbers and booleans count as the text written, so {@code version: 2} is "2". */
    public String text(LocatedNode node, String path) {
        if (node instanceof LocatedNode.Scalar s && s.value() != null) {
            return s.text();
        }
        throw error(node, path, "expected text, got " + LocatedNode.describe(node));
    }

    /** A string proper: refuses numbers and booleans (an address written as a number is a mistake). */
    public String string(LocatedNode node, String path) {
        if (node instanceof LocatedNode.Scalar s && s.value() instanceof String str) {
            return str;
        }
        throw error(node, path, "expected a string, got " + LocatedNode.describe(node));
    }

    /** A word: a string, or a word YAML 1.1 reads as a boolean (off, yes), so {@code values: [on, off]} works. */
    public String word(LocatedNode node, String path) {
        if (node instanceof LocatedNode.Scalar s && (s.value() instanceof String || s.value() instanceof Boolean)) {
            return s.text();
        }
        throw error(node, path, "expected a string, got " + LocatedNode.describe(node));
    }

    /** Only the words {@code true} and {@code false}: YAML 1.1 also reads yes/no/on/off as booleans, a trap. */
    public boolean bool(LocatedNode node, String path) {
        if (node instanceof LocatedNode.Scalar s && s.value() instanceof Boolean b
                && (s.text().equals("true") || s.text().equals("false"))) {
            return b;
        }
        throw error(node, path, "expected true or false, got " + LocatedNode.describe(node));
    }

    /** A YAML integer; {@code expectation} completes "expected ..." in the error. */
    public long integer(LocatedNode node, String path, String expectation) {
        if (node instanceof LocatedNode.Scalar s && integerOrNull(s) != null && !(s.value() instanceof String)) {
            return integerOrNull(s);
        }
        throw error(node, path, "expected " + expectation + ", got " + LocatedNode.describe(node));
    }

    /** An integer in {@code [min, max]}; a string holding a decimal integer is accepted (Kubernetes annotations). */
    public long integer(LocatedNode node, String path, long min, long max) {
        Long v = integerOrNull(node);
        if (v == null || v < min || v > max) {
            throw error(node, path, "expected an integer from " + min + " to " + max + ", got " + LocatedNode.describe(node));
        }
        return v;
    }

    private static Long integerOrNull(LocatedNode node) {
        if (node instanceof LocatedNode.Scalar s) {
            if (s.value() instanceof Integer || s.value() instanceof Long) {
                return ((Number) s.value()).longValue();
            }
            if (s.value() instanceof BigInteger b && b.bitLength() < 64) {
                return b.longValue();
            }
            if (s.value() instanceof String str && str.matches("0|[1-9][0-9]{0,17}")) {
                return Long.parseLong(str);
            }
        }
        return null;
    }

    /**
     * A mapping of names to scalars kept as typed as YAML read them (Boolean, Long, String), for
     * build parameters and constants: the template's declarations decide later what each must be.
     */
    public Map<String, Object> scalarMap(LocatedNode.Mapping parent, String path, String key) {
        LocatedNode.Mapping m = optionalMapping(parent, path, key);
        String at = child(path, key);
        Map<String, Object> out = new LinkedHashMap<>();
        for (LocatedNode.Entry e : m.entries().values()) {
            String p = child(at, e.key());
            if (!(e.value() instanceof LocatedNode.Scalar s) || s.value() == null) {
                throw error(e.value(), p, "expected a single value, got " + LocatedNode.describe(e.value()));
            }
            Object v = s.value();
            if (v instanceof Double) {
                throw error(e.value(), p, "expected an integer, a boolean or text, got " + s.text());
            }
            if (v instanceof Number n && !(v instanceof BigInteger)) {
                v = n.longValue();
            }
            out.put(e.key(), v);
        }
        return out;
    }

    /** A mapping of names to text values (labels). */
    public Map<String, String> textMap(LocatedNode.Mapping m, String path) {
        Map<String, String> out = new LinkedHashMap<>();
        for (LocatedNode.Entry e : m.entries().values()) {
            out.put(e.key(), text(e.value(), child(path, e.key())));
        }
        return out;
    }

    /** A list of strings, each checked by {@code parse}; its failures become errors at the item. */
    public <T> List<T> each(List<LocatedNode> items, String path, ItemReader<T> reader) {
        List<T> out = new ArrayList<>();
        for (int i = 0; i < items.size(); i++) {
            out.add(reader.read(items.get(i), item(path, i)));
        }
        return out;
    }

    @FunctionalInterface
    public interface ItemReader<T> {
        T read(LocatedNode node, String path);
    }
}
