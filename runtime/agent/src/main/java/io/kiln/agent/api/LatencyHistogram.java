package io.kiln.agent.api;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;

/** A Prometheus histogram of durations in seconds, per value of one label. Thread-safe. */
public final class LatencyHistogram {
    /** From a map write (milliseconds) to a first compile of a large template (tens of seconds). */
    public static final double[] DEFAULT_BUCKETS = {0.001, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60};

    private final String name;
    private final String help;
    private final String label;
    private final double[] bounds;
    private final Map<String, long[]> counts = new TreeMap<>();
    private final Map<String, double[]> sums = new TreeMap<>();

    public LatencyHistogram(String name, String help, String label, double[] bounds) {
        this.name = name;
        this.help = help;
        this.label = label;
        this.bounds = bounds.clone();
    }

    public synchronized void observe(String labelValue, double seconds) {
        long[] c = counts.computeIfAbsent(labelValue, k -> new long[bounds.length + 1]);
        for (int i = 0; i < bounds.length; i++) {
            if (seconds <= bounds[i]) {
                c[i]++;
            }
        }
        c[bounds.length]++;
        sums.computeIfAbsent(labelValue, k -> new double[1])[0] += seconds;
    }

    public synchronized long count(String labelValue) {
        long[] c = counts.get(labelValue);
        return c == null ? 0 : c[bounds.length];
    }

    public synchronized MetricFamily family() {
        List<MetricFamily.Sample> samples = new ArrayList<>();
        counts.forEach((value, c) -> {
            for (int i = 0; i <= bounds.length; i++) {
                String le = i == bounds.length ? "+Inf" : Double.toString(bounds[i]);
                samples.add(new MetricFamily.Sample("_bucket", new TreeMap<>(Map.of(label, value, "le", le)), c[i]));
            }
            samples.add(new MetricFamily.Sample("_sum", new TreeMap<>(Map.of(label, value)), sums.get(value)[0]));
            samples.add(new MetricFamily.Sample("_count", new TreeMap<>(Map.of(label, value)), c[bounds.length]));
        });
        return new MetricFamily(name, help, MetricFamily.Type.HISTOGRAM, samples);
    }
}
