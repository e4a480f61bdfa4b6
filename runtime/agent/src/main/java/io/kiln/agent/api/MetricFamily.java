package io.kiln.agent.api;

import java.util.Collections;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.SortedMap;
import java.util.TreeMap;
import java.util.regex.Pattern;

/**
 * One Prometheus metric family: a name, its help and type, and its samples. A histogram's samples
 * carry the suffixes {@code _bucket} (with an {@code le} label), {@code _sum} and {@code _count}.
 */
public record MetricFamily(String name, String help, Type type, List<Sample> samples) {
    private static final Pattern NAME = Pattern.compile("[a-zA-Z_:][a-zA-Z0-9_:]*");

    public enum Type {
        COUNTER, GAUGE, HISTOGRAM;

        public String text() {
            return name().toLowerCase(java.util.Locale.ROOT);
        }
    }

    /** @param suffix appended to the family's name: empty, or {@code _bucket}, {@code _sum}, {@code _count} */
    public record Sample(String suffix, SortedMap<String, String> labels, double value) {
        public Sample {
            labels = Collections.unmodifiableSortedMap(new TreeMap<>(labels));
        }

        public static Sample of(double value) {
            return new Sample("", new TreeMap<>(), value);
        }

        public static Sample of(Map<String, String> labels, double value) {
            return new Sample("", new TreeMap<>(labels), value);
        }
    }

    public MetricFamily {
        if (!NAME.matcher(Objects.requireNonNull(name, "name")).matches()) {
            throw new IllegalArgumentException("not a Prometheus metric name: " + name);
        }
        Objects.requireNonNull(type, "type");
        samples = List.copyOf(samples);
    }
}
