package io.kiln.bundle.internal;

import com.fasterxml.jackson.core.JsonGenerator;
import com.fasterxml.jackson.databind.JsonNode;
import io.kiln.template.BuildParameter;
import io.kiln.template.ParamType;
import java.io.IOException;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

/** Build parameter declarations and values in JSON: Boolean, Long and String as JSON's own types. */
final class Values {
    private Values() {
    }

    static void writeValue(JsonGenerator g, Object value) throws IOException {
        if (value instanceof Boolean b) {
            g.writeBoolean(b);
        } else if (value instanceof Long l) {
            g.writeNumber(l);
        } else if (value instanceof String s) {
            g.writeString(s);
        } else {
            throw new IllegalArgumentException("a build parameter value is a Boolean, Long or String, got " + value);
        }
    }

    static Object value(IndexFields f, JsonNode n, String at) {
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

    static void writeParameter(JsonGenerator g, BuildParameter p) throws IOException {
        g.writeStartObject();
        g.writeStringField("name", p.name());
        g.writeStringField("type", p.type().yamlName());
        g.writeFieldName("default");
        writeValue(g, p.defaultValue());
        if (p.min() != null) {
            g.writeNumberField("min", p.min());
        }
        if (p.max() != null) {
            g.writeNumberField("max", p.max());
        }
        if (!p.values().isEmpty()) {
            g.writeArrayFieldStart("values");
            for (String v : p.values()) {
                g.writeString(v);
            }
            g.writeEndArray();
        }
        g.writeStringField("description", p.description());
        g.writeEndObject();
    }

    static BuildParameter readParameter(IndexFields f, JsonNode n, String at) {
        String name = f.text(n, at, "name");
        String typeText = f.text(n, at, "type");
        ParamType type = Arrays.stream(ParamType.values()).filter(t -> t.yamlName().equals(typeText)).findFirst()
                .orElseThrow(() -> f.error(IndexFields.join(at, "type"), "unknown build parameter type '" + typeText + "'"));
        Object defaultValue = value(f, f.field(n, at, "default"), IndexFields.join(at, "default"));
        Long min = n.has("min") ? f.longValue(n, at, "min") : null;
        Long max = n.has("max") ? f.longValue(n, at, "max") : null;
        List<String> values = new ArrayList<>();
        if (n.has("values")) {
            JsonNode array = n.get("values");
            if (!array.isArray()) {
                throw f.error(IndexFields.join(at, "values"), "expected an array of strings");
            }
            array.forEach(v -> values.add(v.asText()));
        }
        return new BuildParameter(name, type, defaultValue, min, max, values, f.optionalText(n, "description"));
    }
}
