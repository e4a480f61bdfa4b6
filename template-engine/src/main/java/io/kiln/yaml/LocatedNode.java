package io.kiln.yaml;

import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * A YAML or JSON value with the place it starts in its document (line 0 when it has no place,
 * e.g. when built from plain Java objects). Jackson's tree model drops locations, and every
 * descriptor or spec error must name its line, so their readers work on this tree.
 */
public sealed interface LocatedNode permits LocatedNode.Mapping, LocatedNode.Sequence, LocatedNode.Scalar {

    int line();

    int column();

    /** What a user would call this kind of value in an error message. */
    String kind();

    /** True for YAML or JSON null ({@code key:} with nothing after it); false for no node at all. */
    static boolean isNull(LocatedNode node) {
        return node instanceof Scalar s && s.value() == null;
    }

    /** The value as a user wrote it, for "got ..." in messages. */
    static String describe(LocatedNode node) {
        if (node instanceof Scalar s) {
            if (s.value() == null) {
                return "nothing (null)";
            }
            // a short prefix: a 100,000-digit number or a huge string must not be echoed whole
            return s.value() instanceof Number ? io.kiln.Excerpt.of(s.text()) : "'" + io.kiln.Excerpt.of(s.text()) + "'";
        }
        return node.kind();
    }

    /** A mapping; entries keep document order; keys are unique (the reader rejects duplicates). */
    record Mapping(int line, int column, Map<String, Entry> entries) implements LocatedNode {
        public Mapping {
            entries = Collections.unmodifiableMap(new LinkedHashMap<>(entries));
        }

        @Override
        public String kind() {
            return "a mapping";
        }
    }

    /** One key of a mapping: the key's own place and its value. */
    record Entry(String key, int line, int column, LocatedNode value) {
    }

    record Sequence(int line, int column, List<LocatedNode> items) implements LocatedNode {
        public Sequence {
            items = List.copyOf(items);
        }

        @Override
        public String kind() {
            return "a list";
        }
    }

    /**
     * A scalar: its source text and the value it was read as: String, Boolean, an integral Number
     * (Integer, Long or BigInteger), Double, or null.
     */
    record Scalar(int line, int column, String text, Object value) implements LocatedNode {
        @Override
        public String kind() {
            if (value == null) {
                return "null";
            }
            if (value instanceof Boolean) {
                return "a boolean";
            }
            if (value instanceof Double) {
                return "a decimal number";
            }
            return value instanceof Number ? "an integer" : "a string";
        }
    }
}
