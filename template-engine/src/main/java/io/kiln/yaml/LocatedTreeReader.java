package io.kiln.yaml;

import com.fasterxml.jackson.core.JsonFactory;
import com.fasterxml.jackson.core.JsonLocation;
import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.core.JsonToken;
import com.fasterxml.jackson.core.exc.StreamConstraintsException;
import com.fasterxml.jackson.core.exc.StreamReadException;
import com.fasterxml.jackson.dataformat.yaml.YAMLFactory;
import com.fasterxml.jackson.dataformat.yaml.YAMLParser;
import com.fasterxml.jackson.dataformat.yaml.snakeyaml.error.Mark;
import com.fasterxml.jackson.dataformat.yaml.snakeyaml.error.MarkedYAMLException;

import java.io.IOException;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Reads one YAML or JSON document into a {@link LocatedNode} tree that remembers where each value
 * starts. Duplicate keys are rejected here rather than by Jackson's own detection so the error can
 * give the key's full path and the line of its first occurrence. Aliases and further documents are
 * refused: the documents are small, and an alias would make an error point at the wrong line.
 * Errors are made by the caller's {@link Errors}, so each reader keeps its own exception type.
 */
public final class LocatedTreeReader {
    /** An empty plain value ({@code labels:} and nothing after it) is YAML null, not an empty string. */
    private static final YAMLFactory YAML = YAMLFactory.builder().enable(YAMLParser.Feature.EMPTY_STRING_AS_NULL).build();
    private static final JsonFactory JSON = JsonFactory.builder().build();
    /** Longest number converted as one (see IntegerText.MAX_LENGTH); longer ones stay text and are refused later. */
    private static final int MAX_NUMBER_LENGTH = 64;
    /**
     * Lists and mappings within each other, at most. No spec or descriptor needs more than a few; the
     * parser's own bound (1000) is deeper than this reader's recursion can safely go on a small thread
     * stack, so this reader stops first, with a message, never a StackOverflowError.
     */
    public static final int MAX_DEPTH = 64;

    /** The syntax of a document; JSON gets a JSON parser so its lines and messages are right. */
    public enum Syntax {
        YAML, JSON
    }

    /** Makes the caller's exception for a problem at a place; field is a dotted path or empty. */
    @FunctionalInterface
    public interface Errors {
        LocatedException at(int line, int column, String field, String reason, Throwable cause);
    }

    /**
     * The words that differ between readers: the whole message for a second document, what
     * aliases are not supported in (plural: {@code specs}), and a qualifier put before
     * {@code content}, {@code mapping}, {@code list} and after {@code cannot read} (e.g.
     * {@code "YAML "} or empty).
     */
    public record Wording(String secondDocument, String aliasesRefusedIn, String qualifier) {
    }

    private final Wording wording;
    private final Errors errors;

    private LocatedTreeReader(Wording wording, Errors errors) {
        this.wording = wording;
        this.errors = errors;
    }

    /** Parses {@code text}; returns null for an empty document. */
    public static LocatedNode read(String text, Syntax syntax, Wording wording, Errors errors) {
        return new LocatedTreeReader(wording, errors).readDocument(text, syntax);
    }

    // Jackson deprecates its wrapper of SnakeYAML's MarkedYAMLException but offers nothing else that
    // carries the problem's own place: its generic location is where the parser gave up, often later.
    @SuppressWarnings("deprecation")
    private LocatedNode readDocument(String text, Syntax syntax) {
        try (JsonParser p = (syntax == Syntax.JSON ? JSON : YAML).createParser(text)) {
            JsonToken t = p.nextToken();
            if (t == null) {
                return null;
            }
            LocatedNode root = readValue(p, t, "");
            if (p.nextToken() != null) {
                JsonLocation l = p.currentTokenLocation();
                throw error(l.getLineNr(), l.getColumnNr(), "", wording.secondDocument());
            }
            return root;
        } catch (MarkedYAMLException e) {
            Mark mark = e.getProblemMark();
            String context = e.getContext() == null ? "" : " (" + e.getContext().strip() + ")";
            throw errors.at(mark == null ? 0 : mark.getLine() + 1, mark == null ? 0 : mark.getColumn() + 1, "",
                    "malformed YAML: " + oneLine(e.getProblem()) + context, e);
        } catch (StreamReadException e) {
            JsonLocation l = e.getLocation();
            throw errors.at(l == null ? 0 : l.getLineNr(), l == null ? 0 : l.getColumnNr(), "",
                    "malformed " + syntax + ": " + ParserMessages.of(e), e);
        } catch (StreamConstraintsException e) {
            JsonLocation l = e.getLocation();
            throw errors.at(l == null ? 0 : l.getLineNr(), l == null ? 0 : l.getColumnNr(), "",
                    ParserMessages.of(e), e);
        } catch (IOException e) {
            throw errors.at(0, 0, "", ("cannot read " + wording.qualifier()).strip() + ": " + e.getMessage(), e);
        }
    }

    private int depth;

    private LocatedNode readValue(JsonParser p, JsonToken t, String path) throws IOException {
        JsonLocation at = p.currentTokenLocation();
        int line = at.getLineNr();
        int column = at.getColumnNr();
        if ((t == JsonToken.START_OBJECT || t == JsonToken.START_ARRAY) && depth >= MAX_DEPTH) {
            throw error(line, column, "", "nested deeper than " + MAX_DEPTH
                    + " levels (lists or mappings within each other)");
        }
        if (p instanceof YAMLParser y && y.isCurrentAlias()) {
            throw error(line, column, path, "YAML aliases (*" + p.getText() + ") are not supported in "
                    + wording.aliasesRefusedIn() + "; write the value out");
        }
        return switch (t) {
            case START_OBJECT, START_ARRAY -> {
                depth++;
                try {
                    yield t == JsonToken.START_OBJECT ? readMapping(p, path, line, column)
                            : readSequence(p, path, line, column);
                } finally {
                    depth--;
                }
            }
            case VALUE_STRING -> new LocatedNode.Scalar(line, column, p.getText(), p.getText());
            // a number too long for any Kiln value stays text: converting a million digits takes seconds
            case VALUE_NUMBER_INT, VALUE_NUMBER_FLOAT -> p.getTextLength() > MAX_NUMBER_LENGTH
                    ? new LocatedNode.Scalar(line, column, p.getText(), p.getText())
                    : new LocatedNode.Scalar(line, column, p.getText(),
                            t == JsonToken.VALUE_NUMBER_INT ? p.getNumberValue() : (Object) p.getDoubleValue());
            case VALUE_TRUE -> new LocatedNode.Scalar(line, column, p.getText(), Boolean.TRUE);
            case VALUE_FALSE -> new LocatedNode.Scalar(line, column, p.getText(), Boolean.FALSE);
            case VALUE_NULL -> new LocatedNode.Scalar(line, column, p.getText(), null);
            default -> throw error(line, column, path, "unexpected " + wording.qualifier() + "content " + t);
        };
    }

    private LocatedNode readMapping(JsonParser p, String path, int line, int column) throws IOException {
        Map<String, LocatedNode.Entry> entries = new LinkedHashMap<>();
        JsonToken t;
        while ((t = p.nextToken()) == JsonToken.FIELD_NAME) {
            String key = p.currentName();
            JsonLocation at = p.currentTokenLocation();
            String keyPath = child(path, key);
            LocatedNode.Entry first = entries.get(key);
            if (first != null) {
                throw error(at.getLineNr(), at.getColumnNr(), keyPath,
                        "duplicate key '" + key + "' (first at line " + first.line() + ")");
            }
            LocatedNode value = readValue(p, p.nextToken(), keyPath);
            entries.put(key, new LocatedNode.Entry(key, at.getLineNr(), at.getColumnNr(), value));
        }
        if (t != JsonToken.END_OBJECT) {
            throw error(line, column, path, "malformed " + wording.qualifier() + "mapping");
        }
        return new LocatedNode.Mapping(line, column, entries);
    }

    private LocatedNode readSequence(JsonParser p, String path, int line, int column) throws IOException {
        List<LocatedNode> items = new ArrayList<>();
        JsonToken t;
        while ((t = p.nextToken()) != JsonToken.END_ARRAY) {
            if (t == null) {
                throw error(line, column, path, "malformed " + wording.qualifier() + "list");
            }
            items.add(readValue(p, t, item(path, items.size())));
        }
        return new LocatedNode.Sequence(line, column, items);
    }

    private LocatedException error(int line, int column, String field, String reason) {
        return errors.at(line, column, field, reason, null);
    }

    /** The dotted path of {@code key} under {@code path} ({@code ingress[0].toPorts}). */
    public static String child(String path, String key) {
        return path.isEmpty() ? key : path + "." + key;
    }

    /** The path of item {@code index} of the list at {@code path}. */
    public static String item(String path, int index) {
        return path + "[" + index + "]";
    }

    private static String oneLine(String s) {
        return s == null ? "" : s.strip().replaceAll("\\s*\\n\\s*", " ");
    }
}
