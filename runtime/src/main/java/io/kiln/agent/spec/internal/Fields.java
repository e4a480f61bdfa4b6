package io.kiln.agent.spec.internal;

import io.kiln.agent.spec.Origin;
import io.kiln.agent.spec.SpecException;

import java.math.BigInteger;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Typed access to the {@link Node} tree of one spec. Every accessor takes the dotted path of the
 * value, so that a failure is a {@link SpecException} naming source, line and field.
 */
public final class Fields {
    private final String source;

    public Fields(String source) {
        this.source = source;
    }

    public String source() {
        return source;
    }

    public static String child(String path, String key) {
        return path.isEmpty() ? key : path + "." + key;
    }

    public static String item(String path, int index) {
        return path + "[" + index + "]";
    }

    public SpecException error(Node at, String path, String reason) {
        return new SpecException(source, at.line(), at.column(), path, reason);
    }

    public SpecException error(Node.Entry at, String path, String reason) {
        return new SpecException(source, at.line(), at.column(), path, reason);
    }

    /** The origin of a spec read from {@code root}: every field path with its line. */
    public Origin origin(Node root) {
        Map<String, Integer> lines = new LinkedHashMap<>();
        index(root, "", lines);
        return new Origin(source, lines);
    }

    private static void index(Node node, String path, Map<String, Integer> lines) {
        if (node.line() > 0 && !path.isEmpty()) {
            lines.putIfAbsent(path, node.line());
        }
        if (node instanceof Node.Mapping m) {
            for (Node.Entry e : m.entries().values()) {
                String p = child(path, e.key());
                if (e.line() > 0) {
                    lines.put(p, e.line());
                }
                index(e.value(), p, lines);
            }
        } else if (node instanceof Node.Sequence s) {
            for (int i = 0; i < s.items().size(); i++) {
                index(s.items().get(i), item(path, i), lines);
            }
        }
    }

    public Node.Mapping mapping(Node node, String path) {
        if (node instanceof Node.Mapping m) {
            return m;
        }
        throw error(node, path, "expected a mapping, got " + describe(node));
    }

    /** The mapping at {@code key}, or an empty one when absent or null. */
    public Node.Mapping optionalMapping(Node.Mapping parent, String path, String key) {
        Node.Entry e = parent.entries().get(key);
        if (e == null || isNull(e.value())) {
            return new Node.Mapping(e == null ? parent.line() : e.line(), 0, Map.of());
        }
        return mapping(e.value(), child(path, key));
    }

    public Node.Sequence sequence(Node node, String path) {
        if (node instanceof Node.Sequence s) {
            return s;
        }
        throw error(node, path, "expected a list, got " + describe(node));
    }

    /** The list at {@code key}: empty when absent or null. */
    public List<Node> optionalList(Node.Mapping parent, String path, String key) {
        Node.Entry e = parent.entries().get(key);
        if (e == null || isNull(e.value())) {
            return List.of();
        }
        return sequence(e.value(), child(path, key)).items();
    }

    /** Rejects any key not in {@code allowed}; {@code what} names the mapping ("an endpoint"). */
    public void allowOnly(Node.Mapping m, String path, List<String> allowed, String what) {
        for (Node.Entry e : m.entries().values()) {
            if (!allowed.contains(e.key())) {
                throw error(e, child(path, e.key()), "unknown field '" + e.key() + "' in " + what
                        + "; allowed: " + String.join(", ", allowed));
            }
        }
    }

    public Node required(Node.Mapping m, String path, String key) {
        Node.Entry e = m.entries().get(key);
        if (e == null || isNull(e.value())) {
            throw error(e == null ? m : e.value(), child(path, key), "missing required field '" + key + "'");
        }
        return e.value();
    }

    /** The value at {@code key}, or null when absent or YAML null. */
    public static Node optional(Node.Mapping m, String key) {
        Node.Entry e = m.entries().get(key);
        return e == null || isNull(e.value()) ? null : e.value();
    }

    /** A string; numbers and booleans count as the text written, so {@code version: 2} is "2". */
    public String text(Node node, String path) {
        if (node instanceof Node.Scalar s && s.value() != null) {
            return s.text();
        }
        throw error(node, path, "expected text, got " + describe(node));
    }

    /** A string proper: refuses numbers and booleans (an address written as a number is a mistake). */
    public String string(Node node, String path) {
        if (node instanceof Node.Scalar s && s.value() instanceof String str) {
            return str;
        }
        throw error(node, path, "expected a string, got " + describe(node));
    }

    /** An integer in {@code [min, max]}; a string holding a decimal integer is accepted (Kubernetes annotations). */
    public long integer(Node node, String path, long min, long max) {
        Long v = integerOrNull(node);
        if (v == null || v < min || v > max) {
            throw error(node, path, "expected an integer from " + min + " to " + max + ", got " + describe(node));
        }
        return v;
    }

    private static Long integerOrNull(Node node) {
        if (node instanceof Node.Scalar s) {
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
    public Map<String, Object> scalarMap(Node.Mapping parent, String path, String key) {
        Node.Mapping m = optionalMapping(parent, path, key);
        String at = child(path, key);
        Map<String, Object> out = new LinkedHashMap<>();
        for (Node.Entry e : m.entries().values()) {
            String p = child(at, e.key());
            if (!(e.value() instanceof Node.Scalar s) || s.value() == null) {
                throw error(e.value(), p, "expected a single value, got " + describe(e.value()));
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
    public Map<String, String> textMap(Node.Mapping m, String path) {
        Map<String, String> out = new LinkedHashMap<>();
        for (Node.Entry e : m.entries().values()) {
            out.put(e.key(), text(e.value(), child(path, e.key())));
        }
        return out;
    }

    /** A list of strings, each checked by {@code parse}; its failures become errors at the item. */
    public <T> List<T> each(List<Node> items, String path, ItemReader<T> reader) {
        List<T> out = new ArrayList<>();
        for (int i = 0; i < items.size(); i++) {
            out.add(reader.read(items.get(i), item(path, i)));
        }
        return out;
    }

    @FunctionalInterface
    public interface ItemReader<T> {
        T read(Node node, String path);
    }

    public static boolean isNull(Node node) {
        return node instanceof Node.Scalar s && s.value() == null;
    }

    /** The value as a user wrote it, for "got ..." in messages. */
    public static String describe(Node node) {
        if (node instanceof Node.Scalar s) {
            if (s.value() == null) {
                return "nothing (null)";
            }
            return s.value() instanceof Number ? s.text() : "'" + s.text() + "'";
        }
        return node.kind();
    }
}
