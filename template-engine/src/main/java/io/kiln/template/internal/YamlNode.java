package io.kiln.template.internal;

import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * A YAML value with the place it starts in its file. Jackson's tree model drops locations, and
 * every descriptor error must name its line, so the descriptor reader works on this tree instead.
 */
public sealed interface YamlNode permits YamlNode.Mapping, YamlNode.Sequence, YamlNode.Scalar {

    int line();

    int column();

    /** What a user would call this kind of value in an error message. */
    String kind();

    /** A mapping; entries keep file order. Keys are unique (the reader rejects duplicates). */
    record Mapping(int line, int column, Map<String, Entry> entries) implements YamlNode {
        public Mapping {
            entries = java.util.Collections.unmodifiableMap(new LinkedHashMap<>(entries));
        }

        @Override
        public String kind() {
            return "a mapping";
        }
    }

    /** One key of a mapping with the key's own location and its value. */
    record Entry(String key, int line, int column, YamlNode value) {
    }

    record Sequence(int line, int column, List<YamlNode> items) implements YamlNode {
        public Sequence {
            items = List.copyOf(items);
        }

        @Override
        public String kind() {
            return "a list";
        }
    }

    /**
     * A scalar: its source text and the value YAML resolved it to: {@link String}, {@link Boolean},
     * an integral {@link Number} (Integer, Long or BigInteger), {@link Double}, or null for YAML null.
     */
    record Scalar(int line, int column, String text, Object value) implements YamlNode {
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
            if (value instanceof Number) {
                return "an integer";
            }
            return "a string";
        }
    }
}
