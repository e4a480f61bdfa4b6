package io.kiln.agent.spec.internal;

import com.fasterxml.jackson.core.JsonFactory;
import com.fasterxml.jackson.core.JsonLocation;
import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.core.JsonToken;
import com.fasterxml.jackson.core.exc.StreamReadException;
import com.fasterxml.jackson.dataformat.yaml.YAMLFactory;
import com.fasterxml.jackson.dataformat.yaml.YAMLParser;
import com.fasterxml.jackson.dataformat.yaml.snakeyaml.error.Mark;
import com.fasterxml.jackson.dataformat.yaml.snakeyaml.error.MarkedYAMLException;
import io.kiln.agent.spec.SpecException;

import java.io.IOException;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Reads one YAML or JSON document into a {@link Node} tree that remembers where each value
 * starts. JSON is read by a JSON parser (a document starting with <code>{</code> or a
 * {@code .json} file), so its lines are right too. Duplicate keys and YAML aliases are refused:
 * a spec is small, and an alias would make an error point at the wrong line.
 */
public final class TreeReader {
    /** An empty plain value ({@code labels:} and nothing after it) is YAML null, not an empty string. */
    private static final YAMLFactory YAML = YAMLFactory.builder().enable(YAMLParser.Feature.EMPTY_STRING_AS_NULL).build();
    private static final JsonFactory JSON = JsonFactory.builder().build();

    private final String source;

    private TreeReader(String source) {
        this.source = source;
    }

    /** Parses {@code text} from {@code source} (a file name or {@code api}); null for an empty document. */
    public static Node read(String source, String text) {
        boolean json = source.endsWith(".json") || text.stripLeading().startsWith("{");
        return new TreeReader(source).readDocument(text, json ? JSON : YAML);
    }

    /**
     * A tree without places from plain Java values (maps with String keys, lists, scalars) as
     * Jackson or the Kubernetes client give them.
     */
    public static Node fromObject(String source, Object value, String path) {
        if (value instanceof Map<?, ?> m) {
            Map<String, Node.Entry> entries = new LinkedHashMap<>();
            for (Map.Entry<?, ?> e : m.entrySet()) {
                String key = String.valueOf(e.getKey());
                entries.put(key, new Node.Entry(key, 0, 0, fromObject(source, e.getValue(), Fields.child(path, key))));
            }
            return new Node.Mapping(0, 0, entries);
        }
        if (value instanceof List<?> l) {
            List<Node> items = new ArrayList<>();
            for (Object o : l) {
                items.add(fromObject(source, o, path + "[" + items.size() + "]"));
            }
            return new Node.Sequence(0, 0, items);
        }
        if (value == null || value instanceof String || value instanceof Boolean || value instanceof Integer
                || value instanceof Long || value instanceof java.math.BigInteger || value instanceof Double) {
            return new Node.Scalar(0, 0, value == null ? "null" : String.valueOf(value), value);
        }
        if (value instanceof Number n) {
            return fromObject(source, n instanceof Float || n instanceof java.math.BigDecimal ? (Object) n.doubleValue()
                    : (Object) n.longValue(), path);
        }
        throw new SpecException(source, 0, 0, path, "unexpected value of type " + value.getClass().getSimpleName());
    }

    // Jackson deprecates its wrapper of SnakeYAML's MarkedYAMLException but offers nothing else that
    // carries the problem's own place: its generic location is where the parser gave up, often later.
    @SuppressWarnings("deprecation")
    private Node readDocument(String text, JsonFactory factory) {
        try (JsonParser p = factory.createParser(text)) {
            JsonToken t = p.nextToken();
            if (t == null) {
                return null;
            }
            Node root = readValue(p, t, "");
            if (p.nextToken() != null) {
                JsonLocation l = p.currentTokenLocation();
                throw new SpecException(source, l.getLineNr(), l.getColumnNr(), "",
                        "a spec holds one document, found a second one");
            }
            return root;
        } catch (MarkedYAMLException e) {
            Mark mark = e.getProblemMark();
            String context = e.getContext() == null ? "" : " (" + e.getContext().strip() + ")";
            throw new SpecException(source, mark == null ? 0 : mark.getLine() + 1, mark == null ? 0 : mark.getColumn() + 1,
                    "", "malformed YAML: " + oneLine(e.getProblem()) + context, e);
        } catch (StreamReadException e) {
            JsonLocation l = e.getLocation();
            throw new SpecException(source, l == null ? 0 : l.getLineNr(), l == null ? 0 : l.getColumnNr(), "",
                    "malformed " + (factory == JSON ? "JSON" : "YAML") + ": " + oneLine(e.getOriginalMessage()), e);
        } catch (IOException e) {
            throw new SpecException(source, 0, 0, "", "cannot read: " + e.getMessage(), e);
        }
    }

    private Node readValue(JsonParser p, JsonToken t, String path) throws IOException {
        JsonLocation at = p.currentTokenLocation();
        int line = at.getLineNr();
        int column = at.getColumnNr();
        if (p instanceof YAMLParser y && y.isCurrentAlias()) {
            throw new SpecException(source, line, column, path,
                    "YAML aliases (*" + p.getText() + ") are not supported in specs; write the value out");
        }
        return switch (t) {
            case START_OBJECT -> readMapping(p, path, line, column);
            case START_ARRAY -> readSequence(p, path, line, column);
            case VALUE_STRING -> new Node.Scalar(line, column, p.getText(), p.getText());
            case VALUE_NUMBER_INT -> new Node.Scalar(line, column, p.getText(), p.getNumberValue());
            case VALUE_NUMBER_FLOAT -> new Node.Scalar(line, column, p.getText(), p.getDoubleValue());
            case VALUE_TRUE -> new Node.Scalar(line, column, p.getText(), Boolean.TRUE);
            case VALUE_FALSE -> new Node.Scalar(line, column, p.getText(), Boolean.FALSE);
            case VALUE_NULL -> new Node.Scalar(line, column, p.getText(), null);
            default -> throw new SpecException(source, line, column, path, "unexpected content " + t);
        };
    }

    private Node readMapping(JsonParser p, String path, int line, int column) throws IOException {
        Map<String, Node.Entry> entries = new LinkedHashMap<>();
        JsonToken t;
        while ((t = p.nextToken()) == JsonToken.FIELD_NAME) {
            String key = p.currentName();
            JsonLocation at = p.currentTokenLocation();
            String keyPath = Fields.child(path, key);
            Node.Entry first = entries.get(key);
            if (first != null) {
                throw new SpecException(source, at.getLineNr(), at.getColumnNr(), keyPath,
                        "duplicate key '" + key + "' (first at line " + first.line() + ")");
            }
            Node value = readValue(p, p.nextToken(), keyPath);
            entries.put(key, new Node.Entry(key, at.getLineNr(), at.getColumnNr(), value));
        }
        if (t != JsonToken.END_OBJECT) {
            throw new SpecException(source, line, column, path, "malformed mapping");
        }
        return new Node.Mapping(line, column, entries);
    }

    private Node readSequence(JsonParser p, String path, int line, int column) throws IOException {
        List<Node> items = new ArrayList<>();
        JsonToken t;
        while ((t = p.nextToken()) != JsonToken.END_ARRAY) {
            if (t == null) {
                throw new SpecException(source, line, column, path, "malformed list");
            }
            items.add(readValue(p, t, path + "[" + items.size() + "]"));
        }
        return new Node.Sequence(line, column, items);
    }

    private static String oneLine(String s) {
        return s == null ? "" : s.strip().replaceAll("\\s*\\n\\s*", " ");
    }
}
