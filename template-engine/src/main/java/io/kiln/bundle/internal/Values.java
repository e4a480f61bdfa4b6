package io.kiln.bundle.internal;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.BooleanNode;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.kiln.template.BuildParameter;
import io.kiln.template.ParamType;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

/** Build parameter declarations and values in JSON: Boolean, Long and String as JSON's own types. */
final class Values {
    private static final JsonNodeFactory NODES = JsonNodeFactory.instance;

    private Values() {
    }

    static JsonNode node(Object value) {
        if (value instanceof Boolean b) {
            return BooleanNode.valueOf(b);
        }
        if (value instanceof Long l) {
            return NODES.numberNode(l);
        }
        if (value instanceof String s) {
            return NODES.textNode(s);
        }
        throw new IllegalArgumentException("a build parameter value is a Boolean, Long or String, got " + value);
    }

    static Object value(Fields f, JsonNode n, String at) {
        if (n.isBoolean()) {
            return n.booleanValue();
        }
        if (n.isIntegralNumber() && n.canConvertToLong()) {
            return n.longValue();
        }
        if (n.isTextual()) {
            return n.textValue();
        }
        throw f.error(at, "expected true, false, an integer or a string");
    }

    static ObjectNode parameter(BuildParameter p) {
        ObjectNode n = NODES.objectNode();
        n.put("name", p.name());
        n.put("type", p.type().yamlName());
        n.set("default", node(p.defaultValue()));
        if (p.min() != null) {
            n.put("min", p.min());
        }
        if (p.max() != null) {
            n.put("max", p.max());
        }
        if (!p.values().isEmpty()) {
            ArrayNode values = n.putArray("values");
            p.values().forEach(values::add);
        }
        n.put("description", p.description());
        return n;
    }

    static BuildParameter readParameter(Fields f, JsonNode n, String at) {
        String name = f.text(n, at, "name");
        String typeText = f.text(n, at, "type");
        ParamType type = Arrays.stream(ParamType.values()).filter(t -> t.yamlName().equals(typeText)).findFirst()
                .orElseThrow(() -> f.error(Fields.join(at, "type"), "unknown build parameter type '" + typeText + "'"));
        Object defaultValue = value(f, f.field(n, at, "default"), Fields.join(at, "default"));
        Long min = n.has("min") ? f.longValue(n, at, "min") : null;
        Long max = n.has("max") ? f.longValue(n, at, "max") : null;
        List<String> values = new ArrayList<>();
        if (n.has("values")) {
            JsonNode array = n.get("values");
            if (!array.isArray()) {
                throw f.error(Fields.join(at, "values"), "expected an array of strings");
            }
            array.forEach(v -> values.add(v.asText()));
        }
        return new BuildParameter(name, type, defaultValue, min, max, values, f.optionalText(n, "description"));
    }
}
