package io.kiln.template;

import java.util.List;

/**
 * A declared build parameter. {@code defaultValue} is a {@link Boolean} (bool), {@link Long} (int)
 * or {@link String} (enum, identifier), never null. {@code min}/{@code max} only for int,
 * {@code values} only for enum (empty otherwise).
 */
public record BuildParameter(String name, ParamType type, Object defaultValue, Long min, Long max,
                             List<String> values, String description) {
    public BuildParameter {
        values = List.copyOf(values);
        description = description == null ? "" : description;
    }
}
