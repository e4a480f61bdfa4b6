package io.kiln.template;

import java.util.Collections;
import java.util.Map;
import java.util.SortedMap;
import java.util.TreeMap;
import java.util.stream.Collectors;

/**
 * One complete, validated set of build parameters for a template: every declared parameter
 * has a value (given or default), typed as {@link Boolean}, {@link Long} or {@link String}.
 * A template plus one of these is a variant. Front ends obtain instances from the template's
 * parameter validation; {@link #of} trusts its caller to have validated the values.
 */
public final class BuildParameters {
    private final SortedMap<String, Object> values;

    private BuildParameters(Map<String, Object> values) {
        this.values = Collections.unmodifiableSortedMap(new TreeMap<>(values));
    }

    /** Wraps already validated values (Boolean, Long or String each). */
    public static BuildParameters of(Map<String, Object> values) {
        return new BuildParameters(values);
    }

    /** Name to typed value, sorted by name. */
    public SortedMap<String, Object> values() {
        return values;
    }

    public Object get(String name) {
        return values.get(name);
    }

    /** Stable text form, {@code a=1,b=true}: part of the variant's identity and its display name. */
    public String canonical() {
        return values.entrySet().stream().map(e -> e.getKey() + "=" + e.getValue())
                .collect(Collectors.joining(","));
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof BuildParameters other && values.equals(other.values);
    }

    @Override
    public int hashCode() {
        return values.hashCode();
    }

    @Override
    public String toString() {
        return canonical();
    }
}
