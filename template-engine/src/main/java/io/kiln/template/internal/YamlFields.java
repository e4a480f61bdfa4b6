package io.kiln.template.internal;

import io.kiln.template.DescriptorException;
import io.kiln.yaml.LocatedNode;
import io.kiln.yaml.LocatedTreeReader;

import java.math.BigInteger;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;

/**
 * Typed access to a {@link LocatedNode} tree of one file. Every accessor takes the dotted path of
 * the value so that a failure becomes a {@link DescriptorException} naming file, line and field.
 */
public final class YamlFields {
    private final Path file;

    public YamlFields(Path file) {
        this.file = file;
    }

    public DescriptorException error(LocatedNode at, String path, String reason) {
        return new DescriptorException(file, at.line(), at.column(), path, reason);
    }

    public DescriptorException error(LocatedNode.Entry at, String path, String reason) {
        return new DescriptorException(file, at.line(), at.column(), path, reason);
    }

    public static String child(String path, String key) {
        return LocatedTreeReader.child(path, key);
    }

    public LocatedNode.Mapping mapping(LocatedNode node, String path) {
        if (node instanceof LocatedNode.Mapping m) {
            return m;
        }
        throw error(node, path, "expected a mapping, got " + LocatedNode.describe(node));
    }

    /** A mapping, or an empty one when the value is absent or YAML null ({@code build:} with nothing after it). */
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

    /** Rejects any key not in {@code allowed}; {@code what} names the mapping for the message. */
    public void allowOnly(LocatedNode.Mapping m, String path, List<String> allowed, String what) {
        for (LocatedNode.Entry e : m.entries().values()) {
            if (!allowed.contains(e.key())) {
                throw error(e, child(path, e.key()), "unknown key '" + e.key() + "'" + what
                        + "; allowed keys: " + String.join(", ", allowed));
            }
        }
    }

    public LocatedNode required(LocatedNode.Mapping m, String path, String key) {
        LocatedNode.Entry e = m.entries().get(key);
        if (e == null) {
            throw error(m, child(path, key), "missing required key '" + key + "'");
        }
        return e.value();
    }

    /** A string; words YAML 1.1 reads as booleans (off, yes) count as the word, so {@code values: [on, off]} works. */
    public String string(LocatedNode node, String path) {
        if (node instanceof LocatedNode.Scalar s && (s.value() instanceof String || s.value() instanceof Boolean)) {
            return s.text();
        }
        throw error(node, path, "expected a string, got " + LocatedNode.describe(node));
    }

    /** Any scalar as text (descriptions may well be a number or a word YAML reads as a boolean). */
    public String text(LocatedNode node, String path) {
        if (node instanceof LocatedNode.Scalar s && s.value() != null) {
            return s.text();
        }
        throw error(node, path, "expected text, got " + LocatedNode.describe(node));
    }

    /** Only the words {@code true} and {@code false}: YAML 1.1 also reads yes/no/on/off as booleans, a trap. */
    public boolean bool(LocatedNode node, String path) {
        if (node instanceof LocatedNode.Scalar s && s.value() instanceof Boolean b
                && (s.text().equals("true") || s.text().equals("false"))) {
            return b;
        }
        throw error(node, path, "expected true or false, got " + LocatedNode.describe(node));
    }

    public long integer(LocatedNode node, String path, String expectation) {
        Long value = integerOrNull(node);
        if (value == null) {
            throw error(node, path, "expected " + expectation + ", got " + LocatedNode.describe(node));
        }
        return value;
    }

    private static Long integerOrNull(LocatedNode node) {
        if (node instanceof LocatedNode.Scalar s) {
            if (s.value() instanceof Integer || s.value() instanceof Long) {
                return ((Number) s.value()).longValue();
            }
            if (s.value() instanceof BigInteger b && b.bitLength() < 64) {
                return b.longValue();
            }
        }
        return null;
    }
}
