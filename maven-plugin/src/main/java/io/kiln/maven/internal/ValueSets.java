package io.kiln.maven.internal;

import io.kiln.bundle.BundledConstant;
import io.kiln.template.ConstantType;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * The endpoint constant values a variant is verified with. A branch that is dead under one value is
 * never verified, so an object that passes with its compiled values can still be rejected for some
 * endpoint; these sets push every constant to its edges and mix them:
 * <ul>
 *   <li>{@code compiled}: the values in the object, nothing set;</li>
 *   <li>{@code zero}: every constant 0 (bools false, addresses 0.0.0.0);</li>
 *   <li>{@code one}: integers 1, bools true, addresses ending in 1;</li>
 *   <li>{@code max}: integers at their maximum, bools true, addresses all ones;</li>
 *   <li>{@code mixed} / {@code mixed-inverse}: every other constant at max, the rest 0, and the reverse.</li>
 * </ul>
 * Sets that would repeat another (a template with one constant has no distinct mix) are left out.
 */
public final class ValueSets {
    public static final List<String> ALL = List.of("compiled", "zero", "one", "max", "mixed", "mixed-inverse");

    /** A named set of constant values; empty {@code values} means the object's own. */
    public record ValueSet(String name, Map<String, byte[]> values) {
    }

    private ValueSets() {
    }

    /**
     * @throws ConfigurationException for a name not in {@link #ALL}
     */
    public static List<ValueSet> of(List<BundledConstant> constants, List<String> names) {
        List<ValueSet> out = new ArrayList<>();
        for (String name : names) {
            String n = name.trim();
            if (n.isEmpty()) {
                continue;
            }
            if (!ALL.contains(n)) {
                throw new ConfigurationException("kiln.verify.valueSets: unknown value set '" + n + "'; known: "
                        + String.join(", ", ALL));
            }
            ValueSet set = new ValueSet(n, values(n, constants));
            if (n.equals("compiled") || out.stream().noneMatch(s -> same(s.values(), set.values()))) {
                out.add(set);
            }
        }
        return out;
    }

    private static Map<String, byte[]> values(String set, List<BundledConstant> constants) {
        Map<String, byte[]> values = new LinkedHashMap<>();
        if (set.equals("compiled")) {
            return values;
        }
        for (int i = 0; i < constants.size(); i++) {
            BundledConstant c = constants.get(i);
            String kind = switch (set) {
                case "mixed" -> i % 2 == 0 ? "max" : "zero";
                case "mixed-inverse" -> i % 2 == 0 ? "zero" : "max";
                default -> set;
            };
            values.put(c.name(), value(kind, c.type(), c.size()));
        }
        return values;
    }

    private static byte[] value(String kind, ConstantType type, int size) {
        byte[] b = new byte[size];
        switch (kind) {
            case "one" -> {
                boolean networkOrder = type == ConstantType.IPV4 || type == ConstantType.IPV6 || type == ConstantType.MAC;
                b[networkOrder ? size - 1 : 0] = 1;
            }
            case "max" -> {
                if (type == ConstantType.BOOL) {
                    b[0] = 1; // a C bool holds 0 or 1; anything else is not a value a spec can give
                } else {
                    Arrays.fill(b, (byte) 0xff);
                }
            }
            default -> { }
        }
        return b;
    }

    private static boolean same(Map<String, byte[]> a, Map<String, byte[]> b) {
        if (!a.keySet().equals(b.keySet())) {
            return false;
        }
        return a.keySet().stream().allMatch(k -> Arrays.equals(a.get(k), b.get(k)));
    }
}
