package io.kiln.agent.reconcile;

import io.kiln.agent.api.AgentMetrics;
import io.kiln.agent.api.EndpointStatus;
import io.kiln.agent.api.LatencyHistogram;
import io.kiln.agent.plan.ChangeKind;
import io.prometheus.metrics.core.metrics.Counter;
import io.prometheus.metrics.model.snapshots.GaugeSnapshot;
import io.prometheus.metrics.model.snapshots.GaugeSnapshot.GaugeDataPointSnapshot;
import io.prometheus.metrics.model.snapshots.Labels;
import io.prometheus.metrics.model.snapshots.MetricSnapshots;

import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.TreeMap;

/** The reconciler's figures for {@code /metrics}: regeneration times and outcomes, map writes, endpoints by state. */
final class ReconcilerMetrics {
    private final LatencyHistogram latency = new LatencyHistogram(AgentMetrics.REGENERATION_SECONDS,
            "Time to bring an endpoint to its plan, by kind of change.", "kind", LatencyHistogram.DEFAULT_BUCKETS);
    private final Counter outcomes = Counter.builder().name(AgentMetrics.REGENERATIONS)
            .help("Changes applied to endpoints, by kind and result.").labelNames("kind", "result").build();
    private final Counter mapOps = Counter.builder().name(AgentMetrics.MAP_OPS)
            .help("Map writes and deletes for state-only changes.").labelNames("scope").build();

    ReconcilerMetrics() {
        mapOps.labelValues("endpoint"); // both scopes shown from the start, at 0
        mapOps.labelValues("node");
    }

    void count(ChangeKind kind, boolean ok) {
        outcomes.labelValues(kind.name(), ok ? "ok" : "failed").inc();
    }

    void regenerated(ChangeKind kind, double seconds) {
        latency.observe(kind.name(), seconds);
    }

    void policyOps(int n) {
        mapOps.labelValues("endpoint").inc(n);
    }

    void nodeOps(int n) {
        mapOps.labelValues("node").inc(n);
    }

    /** @param endpoints the status of every endpoint now, counted by state */
    MetricSnapshots collect(List<EndpointStatus> endpoints) {
        Map<String, Integer> byState = new TreeMap<>();
        for (EndpointStatus.State st : EndpointStatus.State.values()) {
            byState.put(st.name().toLowerCase(Locale.ROOT), 0);
        }
        endpoints.forEach(e -> byState.merge(e.state().name().toLowerCase(Locale.ROOT), 1, Integer::sum));
        GaugeSnapshot.Builder states = GaugeSnapshot.builder().name(AgentMetrics.ENDPOINTS).help("Endpoints by state.");
        byState.forEach((k, v) -> states.dataPoint(GaugeDataPointSnapshot.builder().labels(Labels.of("state", k))
                .value(v).build()));
        return MetricSnapshots.of(latency.collect(), outcomes.collect(), mapOps.collect(), states.build());
    }
}
