package io.kiln.bundle.internal;

import com.fasterxml.jackson.databind.JsonNode;
import io.kiln.bundle.BundleException;
import io.kiln.template.ConstantType;
import io.kiln.template.Hook;
import io.kiln.template.MapScope;
import java.util.Arrays;
import java.util.function.BiConsumer;

/** Typed access to the fields of an index, with errors naming the bundle and the field's path. */
final class IndexFields {
    private final String source;

    IndexFields(String source) {
        this.source = source;
    }

    BundleException error(String path, String problem) {
        return new BundleException("bundle " + source + ": " + "index.json" + (path.isEmpty() ? "" : ": " + path)
                + ": " + problem);
    }

    static String join(String at, String name) {
        return at.isEmpty() ? name : at + "." + name;
    }

    JsonNode field(JsonNode n, String at, String name) {
        JsonNode v = n.get(name);
        if (v == null || v.isNull()) {
            throw error(join(at, name), "missing");
        }
        return v;
    }

    String text(JsonNode n, String at, String name) {
        JsonNode v = field(n, at, name);
        if (!v.isTextual()) {
            throw error(join(at, name), "expected a string, got " + v.getNodeType().name().toLowerCase(java.util.Locale.ROOT));
        }
        return v.textValue();
    }

    String optionalText(JsonNode n, String name) {
        JsonNode v = n.get(name);
        return v != null && v.isTextual() ? v.textValue() : "";
    }

    boolean bool(JsonNode n, String at, String name) {
        JsonNode v = field(n, at, name);
        if (!v.isBoolean()) {
            throw error(join(at, name), "expected true or false");
        }
        return v.booleanValue();
    }

    long longValue(JsonNode n, String at, String name) {
        JsonNode v = field(n, at, name);
        if (!v.isIntegralNumber() || !v.canConvertToLong()) {
            throw error(join(at, name), "expected an integer");
        }
        return v.longValue();
    }

    int integer(JsonNode n, String at, String name) {
        JsonNode v = field(n, at, name);
        if (!v.isIntegralNumber() || !v.canConvertToInt()) {
            throw error(join(at, name), "expected an integer");
        }
        return v.intValue();
    }

    JsonNode object(JsonNode n, String at, String name) {
        JsonNode v = field(n, at, name);
        if (!v.isObject()) {
            throw error(join(at, name), "expected an object");
        }
        return v;
    }

    /** Calls {@code each} with every element of the array field and its path, e.g. {@code templates[0]}. */
    void each(JsonNode n, String at, String name, BiConsumer<JsonNode, String> each) {
        JsonNode v = field(n, at, name);
        if (!v.isArray()) {
            throw error(join(at, name), "expected an array");
        }
        for (int i = 0; i < v.size(); i++) {
            JsonNode element = v.get(i);
            String path = join(at, name) + "[" + i + "]";
            if (!element.isObject()) {
                throw error(path, "expected an object");
            }
            each.accept(element, path);
        }
    }

    Hook hook(JsonNode n, String at, String name) {
        String text = text(n, at, name);
        return Hook.fromYaml(text).orElseThrow(() -> error(join(at, name), "unknown hook '" + text + "'"));
    }

    MapScope scope(JsonNode n, String at, String name) {
        String text = text(n, at, name);
        return Arrays.stream(MapScope.values()).filter(s -> s.yamlName().equals(text)).findFirst()
                .orElseThrow(() -> error(join(at, name), "unknown map scope '" + text + "'"));
    }

    ConstantType constantType(JsonNode n, String at, String name) {
        String text = text(n, at, name);
        return Arrays.stream(ConstantType.values()).filter(s -> s.yamlName().equals(text)).findFirst()
                .orElseThrow(() -> error(join(at, name), "unknown constant type '" + text + "'"));
    }
}
