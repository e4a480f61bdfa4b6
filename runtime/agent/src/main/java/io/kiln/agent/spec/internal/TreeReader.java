package io.kiln.agent.spec.internal;

import io.kiln.agent.spec.SpecException;
import io.kiln.yaml.LocatedFields;
import io.kiln.yaml.LocatedNode;
import io.kiln.yaml.LocatedTreeReader;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Reads one spec, YAML or JSON, into a {@link LocatedNode} tree with the shared
 * {@link LocatedTreeReader}. JSON is read by a JSON parser (a document starting with
 * <code>{</code> or a {@code .json} file), so its lines are right too.
 */
public final class TreeReader {
    private static final LocatedTreeReader.Wording WORDING = new LocatedTreeReader.Wording(
            "a spec holds one document, found a second one", "specs", "");

    private TreeReader() {
    }

    /** Parses {@code text} from {@code source} (a file name or {@code api}); null for an empty document. */
    public static LocatedNode read(String source, String text) {
        boolean json = source.endsWith(".json") || text.stripLeading().startsWith("{");
        return LocatedTreeReader.read(text, json ? LocatedTreeReader.Syntax.JSON : LocatedTreeReader.Syntax.YAML,
                WORDING, (line, column, field, reason, cause) -> new SpecException(source, line, column, field, reason, cause));
    }

    /**
     * A tree without places from plain Java values (maps with String keys, lists, scalars) as
     * Jackson or the Kubernetes client give them.
     */
    public static LocatedNode fromObject(String source, Object value, String path) {
        if (value instanceof Map<?, ?> m) {
            Map<String, LocatedNode.Entry> entries = new LinkedHashMap<>();
            for (Map.Entry<?, ?> e : m.entrySet()) {
                String key = String.valueOf(e.getKey());
                entries.put(key, new LocatedNode.Entry(key, 0, 0, fromObject(source, e.getValue(), LocatedFields.child(path, key))));
            }
            return new LocatedNode.Mapping(0, 0, entries);
        }
        if (value instanceof List<?> l) {
            List<LocatedNode> items = new ArrayList<>();
            for (Object o : l) {
                items.add(fromObject(source, o, LocatedFields.item(path, items.size())));
            }
            return new LocatedNode.Sequence(0, 0, items);
        }
        if (value == null || value instanceof String || value instanceof Boolean || value instanceof Integer
                || value instanceof Long || value instanceof java.math.BigInteger || value instanceof Double) {
            return new LocatedNode.Scalar(0, 0, value == null ? "null" : String.valueOf(value), value);
        }
        if (value instanceof Number n) {
            return fromObject(source, n instanceof Float || n instanceof java.math.BigDecimal ? (Object) n.doubleValue()
                    : (Object) n.longValue(), path);
        }
        throw new SpecException(source, 0, 0, path, "unexpected value of type " + value.getClass().getSimpleName());
    }
}
