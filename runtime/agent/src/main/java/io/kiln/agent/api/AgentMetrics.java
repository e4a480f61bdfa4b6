package io.kiln.agent.api;

import io.prometheus.metrics.core.metrics.CounterWithCallback;
import io.prometheus.metrics.model.snapshots.CounterSnapshot;
import io.prometheus.metrics.model.snapshots.CounterSnapshot.CounterDataPointSnapshot;
import io.prometheus.metrics.model.snapshots.Labels;
import io.prometheus.metrics.model.snapshots.MetricSnapshots;

import java.util.List;
import java.util.function.LongSupplier;
import java.util.function.Supplier;

/**
 * The names of Kiln's metrics, in one place, with the collectors of the ones the dataplane side
 * reports: cache figures and clang runs from the object cache, drop counters from the reason
 * counter map of each template an endpoint runs ({@code reasonCounters} in its descriptor). Both
 * are read when Prometheus scrapes, never copied into counters of the agent's own.
 */
public final class AgentMetrics {
    public static final String REGENERATION_SECONDS = "kiln_regeneration_seconds";
    public static final String REGENERATIONS = "kiln_regenerations_total";
    public static final String MAP_OPS = "kiln_map_operations_total";
    public static final String ENDPOINTS = "kiln_endpoints";
    public static final String CACHE_HITS = "kiln_object_cache_hits_total";
    public static final String CACHE_MISSES = "kiln_object_cache_misses_total";
    public static final String CLANG_RUNS = "kiln_clang_runs_total";
    public static final String OBJECT_MEMO_HITS = "kiln_object_memo_hits_total";
    public static final String DROPS = "kiln_endpoint_drops_total";
    public static final String DROPPED_BYTES = "kiln_endpoint_dropped_bytes_total";

    private AgentMetrics() {
    }

    /** Object cache hits and misses, memo hits and clang runs since the agent started, read at each scrape. */
    public static MetricsProvider cache(LongSupplier hits, LongSupplier misses, LongSupplier clangRuns,
                                        LongSupplier memoHits) {
        return MetricsProvider.of(
                counter(OBJECT_MEMO_HITS, "Objects served from the agent's memo of variants whose files are"
                        + " unchanged: no render, no hashing, no store read (counted in the cache hits too).", memoHits),
                counter(CACHE_HITS, "Objects served from the cache, the store or a bundle without compiling.", hits),
                counter(CACHE_MISSES, "Objects that had to be compiled.", misses),
                counter(CLANG_RUNS, "clang invocations.", clangRuns));
    }

    /** Fixed figures (tests, tools): cache hits and misses and clang runs, no memo hits. */
    public static MetricSnapshots cache(long hits, long misses, long clangRuns) {
        return cache(() -> hits, () -> misses, () -> clangRuns, () -> 0).collect();
    }

    private static CounterWithCallback counter(String name, String help, LongSupplier value) {
        return CounterWithCallback.builder().name(name).help(help).callback(c -> c.call(value.getAsLong())).build();
    }

    /**
     * A drop counted per endpoint, template, direction and reason: {@code template} is the template
     * whose program dropped it (the dataplane's or one chained in front of it), {@code reason} a
     * name from that template's descriptor.
     */
    public record Drop(int endpointId, String template, String direction, String reason, long packets, long bytes) {
    }

    /**
     * Dropped packets and bytes per endpoint, template, direction and reason, from one read of the
     * reason counter maps per scrape ({@code drops} is asked once and feeds both families).
     */
    public static MetricsProvider drops(Supplier<List<Drop>> drops) {
        return () -> {
            CounterSnapshot.Builder packets = CounterSnapshot.builder().name(DROPS)
                    .help("Packets dropped by an endpoint's programs, by template and reason.");
            CounterSnapshot.Builder bytes = CounterSnapshot.builder().name(DROPPED_BYTES)
                    .help("Bytes dropped by an endpoint's programs, by template and reason.");
            for (Drop d : drops.get()) {
                Labels labels = Labels.of("endpoint", Integer.toString(d.endpointId()), "direction", d.direction(),
                        "reason", d.reason(), "template", d.template());
                packets.dataPoint(CounterDataPointSnapshot.builder().labels(labels).value(d.packets()).build());
                bytes.dataPoint(CounterDataPointSnapshot.builder().labels(labels).value(d.bytes()).build());
            }
            return MetricSnapshots.of(packets.build(), bytes.build());
        };
    }
}
