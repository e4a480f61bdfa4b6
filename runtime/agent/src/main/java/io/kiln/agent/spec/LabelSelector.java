package io.kiln.agent.spec;

import java.util.Map;
import java.util.SortedMap;
import java.util.TreeMap;

/**
 * Selects endpoints by labels: an endpoint matches when it has every pair of {@code matchLabels}.
 * The empty selector ({@code {}}) matches every endpoint.
 */
public record LabelSelector(SortedMap<String, String> matchLabels) {
    public static final LabelSelector ALL = new LabelSelector(new TreeMap<>());

    public LabelSelector {
        matchLabels = java.util.Collections.unmodifiableSortedMap(new TreeMap<>(matchLabels));
    }

    public static LabelSelector of(Map<String, String> matchLabels) {
        return new LabelSelector(new TreeMap<>(matchLabels));
    }

    public boolean matches(Labels labels) {
        return labels.containsAll(matchLabels);
    }

    /** This selector also requiring {@code key=value}, unless it already says something about {@code key}. */
    public LabelSelector restrictedTo(String key, String value) {
        if (matchLabels.containsKey(key)) {
            return this;
        }
        SortedMap<String, String> m = new TreeMap<>(matchLabels);
        m.put(key, value);
        return new LabelSelector(m);
    }

    @Override
    public String toString() {
        return "{" + new Labels(matchLabels) + "}";
    }
}
