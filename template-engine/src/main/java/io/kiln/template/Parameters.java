package io.kiln.template;

import io.kiln.template.internal.CNames;
import io.kiln.template.internal.Expectations;
import io.kiln.template.internal.IntegerText;

import java.math.BigInteger;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.stream.Collectors;

/** Validates build parameters given for a template and enumerates its variants. */
public final class Parameters {
    /** {@link #matrix} refuses more variants than this: each one is a clang run and a verifier load. */
    public static final int MAX_MATRIX_SIZE = 4096;

    private Parameters() {
    }

    /**
     * The complete build parameters of one variant: {@code given} values checked against their
     * declarations, defaults for the rest. A given value is either a String (from {@code --set k=v})
     * or already typed (Boolean, an integral Number, String, as read from YAML). For an enum, a
     * Boolean stands for the one value YAML 1.1 reads as it ({@code off}, {@code no}, {@code on},
     * {@code yes}), so a spec may write {@code policyMode: off} unquoted.
     *
     * @throws ParameterException for an unknown name or a value the declaration does not allow
     */
    public static BuildParameters resolve(TemplateDescriptor t, Map<String, ?> given) {
        for (String name : given.keySet()) {
            if (t.buildParameter(name).isEmpty()) {
                throw new ParameterException(t.name(), name, "template " + t.name() + ": unknown build parameter '"
                        + name + "'; " + declared(t));
            }
        }
        Map<String, Object> values = new TreeMap<>();
        for (BuildParameter p : t.buildParameters()) {
            values.put(p.name(), given.containsKey(p.name()) ? convert(t, p, given.get(p.name())) : p.defaultValue());
        }
        return BuildParameters.of(values);
    }

    private static String declared(TemplateDescriptor t) {
        if (t.buildParameters().isEmpty()) {
            return "the template declares no build parameters";
        }
        return "declared: " + t.buildParameters().stream().map(BuildParameter::name).collect(Collectors.joining(", "));
    }

    private static Object convert(TemplateDescriptor t, BuildParameter p, Object value) {
        switch (p.type()) {
            case BOOL -> {
                if (value instanceof Boolean b) {
                    return b;
                }
                if ("true".equals(value) || "false".equals(value)) {
                    return Boolean.valueOf((String) value);
                }
                throw invalid(t, p, "true or false", value);
            }
            case INT -> {
                String expected = Expectations.integer(p.min(), p.max());
                BigInteger b = value instanceof String s ? IntegerText.parse(s) : IntegerText.ofNumber(value);
                if (b == null || b.bitLength() >= 64 || !Expectations.inRange(b.longValue(), p.min(), p.max())) {
                    throw invalid(t, p, expected, value);
                }
                return b.longValue();
            }
            case ENUM -> {
                if (value instanceof String s && p.values().contains(s)) {
                    return s;
                }
                if (value instanceof Boolean b) {
                    // A YAML spec's `mode: off` arrives as false: take the one value YAML read that way.
                    List<String> words = b ? List.of("true", "yes", "on") : List.of("false", "no", "off");
                    List<String> matches = p.values().stream().filter(v -> words.contains(v.toLowerCase(java.util.Locale.ROOT)))
                            .toList();
                    if (matches.size() == 1) {
                        return matches.get(0);
                    }
                }
                throw invalid(t, p, "one of " + String.join(", ", p.values()), value);
            }
            case IDENTIFIER -> {
                if (value instanceof String s && CNames.isIdentifier(s)) {
                    return s;
                }
                String why = value instanceof String s ? " (" + CNames.problem(s) + ")" : "";
                throw new ParameterException(t.name(), p.name(), "template " + t.name() + ": build parameter "
                        + p.name() + ": expected a C identifier, got " + IntegerText.describe(value) + why);
            }
            default -> throw new IllegalStateException(p.type().toString());
        }
    }

    private static ParameterException invalid(TemplateDescriptor t, BuildParameter p, String expected, Object value) {
        return new ParameterException(t.name(), p.name(), "template " + t.name() + ": build parameter " + p.name()
                + ": expected " + expected + ", got " + IntegerText.describe(value));
    }

    /**
     * Every variant a test or a verify step must cover: bools both ways, enums every value, ints and
     * identifiers at their default. Each parameter's default comes first, so element 0 is the
     * default variant; the order is stable.
     *
     * @throws ParameterException when there would be more than {@link #MAX_MATRIX_SIZE} variants
     */
    public static List<BuildParameters> matrix(TemplateDescriptor t) {
        List<List<Object>> axes = new ArrayList<>();
        long size = 1;
        for (BuildParameter p : t.buildParameters()) {
            List<Object> axis = new ArrayList<>();
            axis.add(p.defaultValue());
            switch (p.type()) {
                case BOOL -> axis.add(!(Boolean) p.defaultValue());
                case ENUM -> p.values().stream().filter(v -> !v.equals(p.defaultValue())).forEach(axis::add);
                default -> { }
            }
            axes.add(axis);
            size = Math.min(size * axis.size(), (long) MAX_MATRIX_SIZE + 1);
        }
        if (size > MAX_MATRIX_SIZE) {
            throw new ParameterException(t.name(), "", "template " + t.name() + ": its bool and enum build parameters"
                    + " make more than " + MAX_MATRIX_SIZE + " variants; too many to build and verify each");
        }
        List<BuildParameters> out = new ArrayList<>();
        int[] index = new int[axes.size()];
        for (long n = 0; n < size; n++) {
            Map<String, Object> values = new TreeMap<>();
            for (int i = 0; i < axes.size(); i++) {
                values.put(t.buildParameters().get(i).name(), axes.get(i).get(index[i]));
            }
            out.add(BuildParameters.of(values));
            // Odometer with the last declared parameter turning fastest.
            for (int i = axes.size() - 1; i >= 0; i--) {
                if (++index[i] < axes.get(i).size()) {
                    break;
                }
                index[i] = 0;
            }
        }
        return List.copyOf(out);
    }

    /**
     * Parses {@code NAME=VALUE} assignments (as from repeated {@code --set}) into a map in the given
     * order. The value is everything after the first {@code =} and may be empty.
     *
     * @throws ParameterException for an item without {@code =}, an empty name, or a name set twice
     */
    public static Map<String, String> parseAssignments(List<String> kv) {
        Map<String, String> out = new LinkedHashMap<>();
        for (String item : kv) {
            int eq = item.indexOf('=');
            if (eq <= 0) {
                String why = eq < 0 ? "no '='" : "no name before '='";
                throw new ParameterException("", "", "expected NAME=VALUE, got '" + item + "' (" + why + ")");
            }
            String name = item.substring(0, eq);
            if (out.containsKey(name)) {
                throw new ParameterException("", name, "'" + name + "' is set twice: '" + name + "=" + out.get(name)
                        + "' and '" + item + "'");
            }
            out.put(name, item.substring(eq + 1));
        }
        return out;
    }
}
