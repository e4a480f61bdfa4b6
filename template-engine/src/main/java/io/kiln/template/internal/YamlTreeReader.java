package io.kiln.template.internal;

import com.fasterxml.jackson.core.JsonLocation;
import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.core.JsonToken;
import com.fasterxml.jackson.core.exc.StreamReadException;
import com.fasterxml.jackson.dataformat.yaml.YAMLFactory;
import com.fasterxml.jackson.dataformat.yaml.YAMLParser;
import com.fasterxml.jackson.dataformat.yaml.snakeyaml.error.Mark;
import com.fasterxml.jackson.dataformat.yaml.snakeyaml.error.MarkedYAMLException;
import io.kiln.template.DescriptorException;

import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Reads one YAML document into a {@link YamlNode} tree that remembers where each value starts.
 * Duplicate keys are rejected here rather than by Jackson's own duplicate detection so the error
 * can give the key's full path and the line of its first occurrence. Aliases are rejected: a
 * descriptor is small, and an alias would make an error's line point at the wrong place.
 */
public final class YamlTreeReader {
    /** An empty plain value ({@code build:} and nothing after it) is YAML null, not an empty string. */
    private static final YAMLFactory FACTORY = YAMLFactory.builder()
            .enable(YAMLParser.Feature.EMPTY_STRING_AS_NULL).build();

    private final Path file;

    private YamlTreeReader(Path file) {
        this.file = file;
    }

    /** Parses {@code text}, the content of {@code file}; returns null for an empty document. */
    public static YamlNode read(Path file, String text) {
        return new YamlTreeReader(file).readDocument(text);
    }

    // Jackson deprecates its wrapper of SnakeYAML's MarkedYAMLException but offers nothing else that
    // carries the problem's own place: its generic location is where the parser gave up, often a
    // line later.
    @SuppressWarnings("deprecation")
    private YamlNode readDocument(String text) {
        try (JsonParser p = FACTORY.createParser(text)) {
            JsonToken t = p.nextToken();
            if (t == null) {
                return null;
            }
            YamlNode root = readValue(p, t, "");
            if (p.nextToken() != null) {
                JsonLocation l = p.currentTokenLocation();
                throw new DescriptorException(file, l.getLineNr(), l.getColumnNr(), "",
                        "a descriptor holds one YAML document, found a second one");
            }
            return root;
        } catch (MarkedYAMLException e) {
            Mark mark = e.getProblemMark();
            String context = e.getContext() == null ? "" : " (" + e.getContext().strip() + ")";
            throw new DescriptorException(file, mark == null ? 0 : mark.getLine() + 1,
                    mark == null ? 0 : mark.getColumn() + 1, "",
                    "malformed YAML: " + oneLine(e.getProblem()) + context, e);
        } catch (StreamReadException e) {
            JsonLocation l = e.getLocation();
            throw new DescriptorException(file, l == null ? 0 : l.getLineNr(), l == null ? 0 : l.getColumnNr(),
                    "", "malformed YAML: " + oneLine(e.getOriginalMessage()), e);
        } catch (IOException e) {
            throw new DescriptorException(file, 0, 0, "", "cannot read YAML: " + e.getMessage(), e);
        }
    }

    private YamlNode readValue(JsonParser p, JsonToken t, String path) throws IOException {
        JsonLocation at = p.currentTokenLocation();
        int line = at.getLineNr();
        int column = at.getColumnNr();
        if (p instanceof YAMLParser y && y.isCurrentAlias()) {
            throw new DescriptorException(file, line, column, path,
                    "YAML aliases (*" + p.getText() + ") are not supported in descriptors; write the value out");
        }
        switch (t) {
            case START_OBJECT:
                return readMapping(p, path, line, column);
            case START_ARRAY:
                return readSequence(p, path, line, column);
            case VALUE_STRING:
                return new YamlNode.Scalar(line, column, p.getText(), p.getText());
            case VALUE_NUMBER_INT:
                return new YamlNode.Scalar(line, column, p.getText(), p.getNumberValue());
            case VALUE_NUMBER_FLOAT:
                return new YamlNode.Scalar(line, column, p.getText(), p.getDoubleValue());
            case VALUE_TRUE:
                return new YamlNode.Scalar(line, column, p.getText(), Boolean.TRUE);
            case VALUE_FALSE:
                return new YamlNode.Scalar(line, column, p.getText(), Boolean.FALSE);
            case VALUE_NULL:
                return new YamlNode.Scalar(line, column, p.getText(), null);
            default:
                throw new DescriptorException(file, line, column, path, "unexpected YAML content " + t);
        }
    }

    private YamlNode readMapping(JsonParser p, String path, int line, int column) throws IOException {
        Map<String, YamlNode.Entry> entries = new LinkedHashMap<>();
        JsonToken t;
        while ((t = p.nextToken()) == JsonToken.FIELD_NAME) {
            String key = p.currentName();
            JsonLocation at = p.currentTokenLocation();
            String keyPath = path.isEmpty() ? key : path + "." + key;
            YamlNode.Entry first = entries.get(key);
            if (first != null) {
                throw new DescriptorException(file, at.getLineNr(), at.getColumnNr(), keyPath,
                        "duplicate key '" + key + "' (first at line " + first.line() + ")");
            }
            YamlNode value = readValue(p, p.nextToken(), keyPath);
            entries.put(key, new YamlNode.Entry(key, at.getLineNr(), at.getColumnNr(), value));
        }
        if (t != JsonToken.END_OBJECT) {
            throw new DescriptorException(file, line, column, path, "malformed YAML mapping");
        }
        return new YamlNode.Mapping(line, column, entries);
    }

    private YamlNode readSequence(JsonParser p, String path, int line, int column) throws IOException {
        List<YamlNode> items = new ArrayList<>();
        JsonToken t;
        while ((t = p.nextToken()) != JsonToken.END_ARRAY) {
            if (t == null) {
                throw new DescriptorException(file, line, column, path, "malformed YAML list");
            }
            items.add(readValue(p, t, path + "[" + items.size() + "]"));
        }
        return new YamlNode.Sequence(line, column, items);
    }

    private static String oneLine(String s) {
        return s == null ? "" : s.strip().replaceAll("\\s*\\n\\s*", " ");
    }
}
