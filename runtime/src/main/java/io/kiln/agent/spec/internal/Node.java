package io.kiln.agent.spec.internal;

import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * A YAML or JSON value with the place it starts in its document (line 0 when it has no place,
 * e.g. when built from a Kubernetes object). Jackson's tree model drops locations, and every spec
 * error must name its line, so spec readers work on this tree.
 */
public sealed interface Node permits Node.Mapping, Node.Sequence, Node.Scalar {

    int line();

    int column();

    /** What a user would call this kind of value in an error message. */
    String kind();

    /** A mapping; entries keep document order; keys are unique (the reader rejects duplicates). */
    record Mapping(int line, int column, Map<String, Entry> entries) implements Node {
        public Mapping {
            entries = Collections.unmodifiableMap(new LinkedHashMap<>(entries));
        }

        @Override
        public String kind() {
            return "a mapping";
        }
    }

    /** One key of a mapping: the key's own place and its value. */
    record Entry(String key, int line, int column, Node value) {
    }

    record Sequence(int line, int column, List<Node> items) implements Node {
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
    record Scalar(int line, int column, String text, Object value) implements Node {
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
