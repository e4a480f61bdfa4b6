package io.kiln.agent.api;

import io.prometheus.metrics.core.metrics.Histogram;
import io.prometheus.metrics.model.registry.Collector;
import io.prometheus.metrics.model.snapshots.HistogramSnapshot;
import io.prometheus.metrics.model.snapshots.Labels;

/**
 * A Prometheus histogram of durations in seconds, per value of one label (the client library's
 * classic {@link Histogram}, fixed buckets). Thread-safe.
 */
public final class LatencyHistogram implements Collector {
    /** From a map write (milliseconds) to a first compile of a large template (tens of seconds). */
    public static final double[] DEFAULT_BUCKETS = {0.001, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60};

    private final String label;
    private final Histogram histogram;

    public LatencyHistogram(String name, String help, String label, double[] bounds) {
        this.label = label;
        this.histogram = Histogram.builder().name(name).help(help).labelNames(label).classicOnly()
                .classicUpperBounds(bounds.clone()).build();
    }

    public void observe(String labelValue, double seconds) {
        histogram.labelValues(labelValue).observe(seconds);
    }

    /** Observations with this label value so far. */
    public long count(String labelValue) {
        Labels want = Labels.of(label, labelValue);
        return histogram.collect().getDataPoints().stream().filter(d -> d.getLabels().equals(want))
                .mapToLong(HistogramSnapshot.HistogramDataPointSnapshot::getCount).sum();
    }

    @Override
    public HistogramSnapshot collect() {
        return histogram.collect();
    }
}
