package io.kiln.agent.api;

import io.prometheus.metrics.expositionformats.ExpositionFormatWriter;
import io.prometheus.metrics.expositionformats.ExpositionFormats;
import io.prometheus.metrics.model.registry.Collector;
import io.prometheus.metrics.model.registry.MultiCollector;
import io.prometheus.metrics.model.snapshots.CounterSnapshot;
import io.prometheus.metrics.model.snapshots.DataPointSnapshot;
import io.prometheus.metrics.model.snapshots.GaugeSnapshot;
import io.prometheus.metrics.model.snapshots.HistogramSnapshot;
import io.prometheus.metrics.model.snapshots.MetricSnapshot;
import io.prometheus.metrics.model.snapshots.MetricSnapshots;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/**
 * What {@code GET /metrics} shows: a collector of the Prometheus client library, asked at each
 * scrape. A component keeps its figures in the library's instruments ({@code Counter},
 * {@code Histogram}, ...) or reads them at scrape time through {@code CounterWithCallback} and
 * {@code GaugeWithCallback} (counters that live in BPF maps are read, never copied), and offers
 * them with {@link #of(Collector...)}; {@link #of(List)} joins several providers. Metric names are
 * in {@link AgentMetrics}.
 */
@FunctionalInterface
public interface MetricsProvider extends MultiCollector {

    /** Nothing to show. */
    MetricsProvider NONE = MetricSnapshots::of;

    /** The metrics of these instruments, collected in this order. */
    static MetricsProvider of(Collector... metrics) {
        List<Collector> copy = List.of(metrics);
        return () -> {
            List<MetricSnapshot> out = new ArrayList<>(copy.size());
            copy.forEach(c -> out.add(c.collect()));
            return new MetricSnapshots(out);
        };
    }

    /** Every provider's metrics; a name two of them give is an error at the scrape. */
    static MetricsProvider of(List<? extends MultiCollector> providers) {
        List<MultiCollector> copy = List.copyOf(providers);
        return () -> {
            List<MetricSnapshot> out = new ArrayList<>();
            copy.forEach(p -> p.collect().forEach(out::add));
            return new MetricSnapshots(out);
        };
    }

    /** The metrics in Prometheus' text format (version 0.0.4), as {@code GET /metrics} gives them by default. */
    default String text() {
        return write(ExpositionFormats.init().getPrometheusTextFormatWriter(), collect());
    }

    /**
     * The sum of the samples named {@code sample} as the text format names them ({@code kiln_x_total}
     * of a counter, {@code kiln_h_sum} or {@code kiln_h_count} of a histogram, a gauge's name) whose
     * labels include every one of {@code labels}; 0 when there is none.
     */
    default double sum(String sample, Map<String, String> labels) {
        double sum = 0;
        for (MetricSnapshot m : collect()) {
            String name = m.getMetadata().getPrometheusName();
            for (DataPointSnapshot d : m.getDataPoints()) {
                if (!labels.entrySet().stream().allMatch(e -> e.getValue().equals(d.getLabels().get(e.getKey())))) {
                    continue;
                }
                if (d instanceof CounterSnapshot.CounterDataPointSnapshot c
                        && sample.equals(name.endsWith("_total") ? name : name + "_total")) {
                    sum += c.getValue();
                } else if (d instanceof GaugeSnapshot.GaugeDataPointSnapshot g && sample.equals(name)) {
                    sum += g.getValue();
                } else if (d instanceof HistogramSnapshot.HistogramDataPointSnapshot h) {
                    if (sample.equals(name + "_sum")) {
                        sum += h.getSum();
                    } else if (sample.equals(name + "_count")) {
                        sum += h.getCount();
                    }
                }
            }
        }
        return sum;
    }

    /** The snapshots in the writer's format. */
    static String write(ExpositionFormatWriter writer, MetricSnapshots snapshots) {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        try {
            writer.write(out, snapshots);
        } catch (IOException e) {
            throw new UncheckedIOException(e); // a byte array: never
        }
        return out.toString(StandardCharsets.UTF_8);
    }
}
