package io.kiln.agent.spec;

import java.util.Collections;
import java.util.Map;
import java.util.SortedMap;
import java.util.TreeMap;
import java.util.regex.Pattern;
import java.util.stream.Collectors;

/**
 * An endpoint's labels: a set of {@code key=value} pairs, which alone decides its security
 * identity. Keys and values follow Kubernetes' label rules, so that a spec written for one source
 * is valid for every other: a key is {@code [prefix/]name}, the name at most 63 characters of
 * letters, digits, {@code -_.} starting and ending with a letter or digit, the prefix a DNS
 * subdomain; a value is empty or follows the name rule.
 */
public record Labels(SortedMap<String, String> map) {
    private static final Pattern NAME = Pattern.compile("[A-Za-z0-9]([-A-Za-z0-9_.]{0,61}[A-Za-z0-9])?");
    private static final Pattern DNS_SUBDOMAIN = Pattern.compile("[a-z0-9]([-a-z0-9]*[a-z0-9])?(\\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*");
    public static final Labels EMPTY = new Labels(new TreeMap<>());

    public Labels {
        map = Collections.unmodifiableSortedMap(new TreeMap<>(map));
        for (Map.Entry<String, String> e : map.entrySet()) {
            String problem = problem(e.getKey(), e.getValue());
            if (problem != null) {
                throw new IllegalArgumentException(problem);
            }
        }
    }

    public static Labels of(Map<String, String> map) {
        return new Labels(new TreeMap<>(map));
    }

    public static Labels of(String... keyValues) {
        SortedMap<String, String> m = new TreeMap<>();
        for (int i = 0; i + 1 < keyValues.length; i += 2) {
            m.put(keyValues[i], keyValues[i + 1]);
        }
        return new Labels(m);
    }

    /** What is wrong with a label, or null when it is valid. */
    public static String problem(String key, String value) {
        int slash = key.indexOf('/');
        String name = slash < 0 ? key : key.substring(slash + 1);
        if (slash >= 0) {
            String prefix = key.substring(0, slash);
            if (prefix.isEmpty() || prefix.length() > 253 || !DNS_SUBDOMAIN.matcher(prefix).matches()) {
                return "label key '" + io.kiln.Excerpt.of(key, 80) + "': the prefix before '/' must be a DNS subdomain (lower case, digits, '-', '.')";
            }
        }
        if (!NAME.matcher(name).matches()) {
            return "label key '" + io.kiln.Excerpt.of(key, 80) + "': the name must be 1 to 63 letters, digits, '-', '_' or '.', starting and "
                    + "ending with a letter or digit";
        }
        if (value == null || (!value.isEmpty() && !NAME.matcher(value).matches())) {
            // printable and short: a label may come from a Pod's author, and a message goes to terminals and logs
            return "label " + key + ": value '" + io.kiln.Excerpt.of(value, 80) + "' must be empty or 1 to 63 letters, digits, '-', '_' or '.',"
                    + " starting and ending with a letter or digit";
        }
        return null;
    }

    public boolean isEmpty() {
        return map.isEmpty();
    }

    /** True when every pair of {@code required} is among these labels. */
    public boolean containsAll(Map<String, String> required) {
        for (Map.Entry<String, String> e : required.entrySet()) {
            if (!e.getValue().equals(map.get(e.getKey()))) {
                return false;
            }
        }
        return true;
    }

    /** These labels and {@code key=value} (replacing the key's value if present). */
    public Labels with(String key, String value) {
        SortedMap<String, String> m = new TreeMap<>(map);
        m.put(key, value);
        return new Labels(m);
    }

    /** {@code app=web,tier=front}: sorted, one form per set. */
    @Override
    public String toString() {
        return map.entrySet().stream().map(e -> e.getKey() + "=" + e.getValue()).collect(Collectors.joining(","));
    }
}
