package io.kiln.template.internal;

import io.kiln.template.DescriptorException;
import io.kiln.template.BuildParameter;
import io.kiln.template.ParamType;
import io.kiln.yaml.LocatedFields;
import io.kiln.yaml.LocatedNode;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Set;
import java.util.stream.Collectors;

/** Reads and checks the {@code build:} section of a descriptor: one {@link BuildParameter} per key. */
final class BuildParameterReader {
    /** Words FreeMarker reads as operators or literals: a variable with such a name cannot be referenced. */
    private static final Set<String> FREEMARKER_RESERVED = Set.of(
            "true", "false", "gt", "gte", "lt", "lte", "as", "in", "using");
    /** The model variable that describes the template itself. */
    static final String MODEL_NAME = "kiln";

    private final LocatedFields<DescriptorException> y;

    BuildParameterReader(LocatedFields<DescriptorException> y) {
        this.y = y;
    }

    BuildParameter read(LocatedNode.Entry entry, String path) {
        String name = entry.key();
        String problem = CNames.problem(name);
        if (problem == null && FREEMARKER_RESERVED.contains(name)) {
            problem = "'" + name + "' is reserved in FreeMarker expressions";
        }
        if (problem == null && name.equals(MODEL_NAME)) {
            problem = "'" + MODEL_NAME + "' is reserved for the template model";
        }
        if (problem != null) {
            throw y.error(entry, path, problem);
        }
        LocatedNode.Mapping m = y.mapping(entry.value(), path);
        LocatedNode typeNode = y.present(m, path, "type");
        String typeName = y.word(typeNode, LocatedFields.child(path, "type"));
        ParamType type = Arrays.stream(ParamType.values()).filter(t -> t.yamlName().equals(typeName)).findFirst()
                .orElseThrow(() -> y.error(typeNode, LocatedFields.child(path, "type"), "unknown type '" + typeName
                        + "'; allowed types: " + Arrays.stream(ParamType.values()).map(ParamType::yamlName)
                        .collect(Collectors.joining(", "))));
        String description = m.entries().containsKey("description")
                ? y.text(m.entries().get("description").value(), LocatedFields.child(path, "description")) : "";
        String defaultPath = LocatedFields.child(path, "default");
        switch (type) {
            case BOOL -> {
                y.allowOnly(m, path, List.of("type", "default", "description"), "a bool parameter");
                boolean value = y.bool(y.present(m, path, "default"), defaultPath);
                return new BuildParameter(name, type, value, null, null, List.of(), description);
            }
            case INT -> {
                y.allowOnly(m, path, List.of("type", "default", "min", "max", "description"), "an int parameter");
                Long min = optionalLong(m, path, "min");
                Long max = optionalLong(m, path, "max");
                if (min != null && max != null && min > max) {
                    throw y.error(m.entries().get("max").value(), LocatedFields.child(path, "max"),
                            "max " + max + " is less than min " + min);
                }
                String expected = Expectations.integer(min, max);
                LocatedNode d = y.present(m, path, "default");
                long value = y.integer(d, defaultPath, expected);
                if (!Expectations.inRange(value, min, max)) {
                    throw y.error(d, defaultPath, "expected " + expected + ", got " + value);
                }
                return new BuildParameter(name, type, value, min, max, List.of(), description);
            }
            case ENUM -> {
                y.allowOnly(m, path, List.of("type", "values", "default", "description"), "an enum parameter");
                List<String> values = enumValues(m, path);
                LocatedNode d = y.present(m, path, "default");
                String value = y.word(d, defaultPath);
                if (!values.contains(value)) {
                    throw y.error(d, defaultPath, "default '" + value + "' is not one of the values: "
                            + String.join(", ", values));
                }
                return new BuildParameter(name, type, value, null, null, values, description);
            }
            case IDENTIFIER -> {
                y.allowOnly(m, path, List.of("type", "default", "description"), "an identifier parameter");
                LocatedNode d = y.present(m, path, "default");
                String value = y.word(d, defaultPath);
                String valueProblem = CNames.problem(value);
                if (valueProblem != null) {
                    throw y.error(d, defaultPath, valueProblem);
                }
                return new BuildParameter(name, type, value, null, null, List.of(), description);
            }
            default -> throw new IllegalStateException(type.toString());
        }
    }

    private Long optionalLong(LocatedNode.Mapping m, String path, String key) {
        LocatedNode.Entry e = m.entries().get(key);
        return e == null ? null : y.integer(e.value(), LocatedFields.child(path, key), "an integer");
    }

    private List<String> enumValues(LocatedNode.Mapping m, String path) {
        String valuesPath = LocatedFields.child(path, "values");
        LocatedNode node = y.present(m, path, "values");
        LocatedNode.Sequence seq = y.sequence(node, valuesPath);
        if (seq.items().isEmpty()) {
            throw y.error(seq, valuesPath, "an enum needs at least one value");
        }
        List<String> values = new ArrayList<>();
        for (int i = 0; i < seq.items().size(); i++) {
            LocatedNode item = seq.items().get(i);
            String itemPath = valuesPath + "[" + i + "]";
            String value = y.word(item, itemPath);
            String problem = CNames.syntaxProblem(value);
            if (problem != null) {
                throw y.error(item, itemPath, problem + "; enum values are pasted into C");
            }
            if (values.contains(value)) {
                throw y.error(item, itemPath, "duplicate value '" + value + "'");
            }
            values.add(value);
        }
        return values;
    }
}
