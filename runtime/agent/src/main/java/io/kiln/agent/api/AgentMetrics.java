package io.kiln.agent.api;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;

/**
 * The names of Kiln's metrics, in one place, with builders for the ones the dataplane side
 * reports: cache figures and clang runs from the object cache, drop counters from the reason
 * counter map of each template an endpoint runs ({@code reasonCounters} in its descriptor).
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

    /** Object cache hits and misses and clang runs since the agent started. */
    public static List<MetricFamily> cache(long hits, long misses, long clangRuns) {
        return cache(hits, misses, clangRuns, 0);
    }

    public static List<MetricFamily> cache(long hits, long misses, long clangRuns, long memoHits) {
        return List.of(
                new MetricFamily(OBJECT_MEMO_HITS, "Objects served from the agent's memo of variants whose files are"
                        + " unchanged: no render, no hashing, no store read (counted in the cache hits too).",
                        MetricFamily.Type.COUNTER, List.of(MetricFamily.Sample.of(memoHits))),
                new MetricFamily(CACHE_HITS, "Objects served from the cache, the store or a bundle without compiling.",
                        MetricFamily.Type.COUNTER, List.of(MetricFamily.Sample.of(hits))),
                new MetricFamily(CACHE_MISSES, "Objects that had to be compiled.", MetricFamily.Type.COUNTER,
                        List.of(MetricFamily.Sample.of(misses))),
                new MetricFamily(CLANG_RUNS, "clang invocations.", MetricFamily.Type.COUNTER,
                        List.of(MetricFamily.Sample.of(clangRuns))));
    }

    /**
     * A drop counted per endpoint, template, direction and reason: {@code template} is the template
     * whose program dropped it (the dataplane's or one chained in front of it), {@code reason} a
     * name from that template's descriptor.
     */
    public record Drop(int endpointId, String template, String direction, String reason, long packets, long bytes) {
    }

    /**
     * Dropped packets and bytes per endpoint, template, direction and reason (from each template's
     * reason counter map).
     */
    public static List<MetricFamily> drops(List<Drop> drops) {
        List<MetricFamily.Sample> packets = new ArrayList<>();
        List<MetricFamily.Sample> bytes = new ArrayList<>();
        for (Drop d : drops) {
            Map<String, String> labels = new TreeMap<>(Map.of("endpoint", Integer.toString(d.endpointId()),
                    "direction", d.direction(), "reason", d.reason(), "template", d.template()));
            packets.add(MetricFamily.Sample.of(labels, d.packets()));
            bytes.add(MetricFamily.Sample.of(labels, d.bytes()));
        }
        return List.of(
                new MetricFamily(DROPS, "Packets dropped by an endpoint's programs, by template and reason.", MetricFamily.Type.COUNTER,
                        packets),
                new MetricFamily(DROPPED_BYTES, "Bytes dropped by an endpoint's programs, by template and reason.",
                        MetricFamily.Type.COUNTER, bytes));
    }
}
