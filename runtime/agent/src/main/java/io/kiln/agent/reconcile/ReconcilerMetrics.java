package io.kiln.agent.reconcile;

import io.kiln.agent.api.AgentMetrics;
import io.kiln.agent.api.EndpointStatus;
import io.kiln.agent.api.LatencyHistogram;
import io.kiln.agent.api.MetricFamily;
import io.kiln.agent.plan.ChangeKind;

import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicLong;

/** The reconciler's figures for {@code /metrics}: regeneration times and outcomes, map writes, endpoints by state. */
final class ReconcilerMetrics {
    private final LatencyHistogram latency = new LatencyHistogram(AgentMetrics.REGENERATION_SECONDS,
            "Time to bring an endpoint to its plan, by kind of change.", "kind", LatencyHistogram.DEFAULT_BUCKETS);
    private final Map<String, AtomicLong> outcomes = new ConcurrentHashMap<>();
    private final AtomicLong policyOps = new AtomicLong();
    private final AtomicLong nodeOps = new AtomicLong();

    void count(ChangeKind kind, boolean ok) {
        outcomes.computeIfAbsent(kind.name() + "/" + (ok ? "ok" : "failed"), k -> new AtomicLong()).incrementAndGet();
    }

    void regenerated(ChangeKind kind, double seconds) {
        latency.observe(kind.name(), seconds);
    }

    void policyOps(int n) {
        policyOps.addAndGet(n);
    }

    void nodeOps(int n) {
        nodeOps.addAndGet(n);
    }

    List<MetricFamily> families(List<EndpointStatus> endpoints) {
        List<MetricFamily> out = new ArrayList<>();
        out.add(latency.family());
        List<MetricFamily.Sample> counts = new ArrayList<>();
        outcomes.forEach((k, v) -> {
            String[] kr = k.split("/");
            counts.add(MetricFamily.Sample.of(Map.of("kind", kr[0], "result", kr[1]), v.get()));
        });
        out.add(new MetricFamily(AgentMetrics.REGENERATIONS, "Changes applied to endpoints, by kind and result.",
                MetricFamily.Type.COUNTER, counts));
        out.add(new MetricFamily(AgentMetrics.MAP_OPS, "Map writes and deletes for state-only changes.",
                MetricFamily.Type.COUNTER, List.of(MetricFamily.Sample.of(Map.of("scope", "endpoint"), policyOps.get()),
                MetricFamily.Sample.of(Map.of("scope", "node"), nodeOps.get()))));
        Map<String, Integer> byState = new TreeMap<>();
        for (EndpointStatus.State st : EndpointStatus.State.values()) {
            byState.put(st.name().toLowerCase(Locale.ROOT), 0);
        }
        endpoints.forEach(e -> byState.merge(e.state().name().toLowerCase(Locale.ROOT), 1, Integer::sum));
        List<MetricFamily.Sample> gauges = new ArrayList<>();
        byState.forEach((k, v) -> gauges.add(MetricFamily.Sample.of(Map.of("state", k), v)));
        out.add(new MetricFamily(AgentMetrics.ENDPOINTS, "Endpoints by state.", MetricFamily.Type.GAUGE, gauges));
        return out;
    }
}
