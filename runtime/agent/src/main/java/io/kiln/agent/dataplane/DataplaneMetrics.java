package io.kiln.agent.dataplane;

import io.kiln.agent.api.AgentMetrics;
import io.kiln.agent.api.LatencyHistogram;
import io.kiln.agent.api.MetricsProvider;
import io.prometheus.metrics.model.snapshots.CounterSnapshot;
import io.prometheus.metrics.model.snapshots.MetricSnapshot;
import io.prometheus.metrics.model.snapshots.MetricSnapshots;

import java.util.ArrayList;
import java.util.List;
import java.util.function.Supplier;

/**
 * The dataplane's figures for {@code /metrics}: object cache hits and misses and clang runs, the
 * time of each regeneration phase, and every attached endpoint's drops per template, direction and
 * reason, summed over CPUs from each template's reason counter map (reasons by the names its
 * descriptor declares). Counters that live in BPF maps are read at each scrape.
 */
final class DataplaneMetrics implements MetricsProvider {
    private final MetricsProvider cache;
    private final Supplier<List<ReasonCounters>> counters;
    private final MetricsProvider drops;
    private final Supplier<CounterSnapshot> chains;
    private final LatencyHistogram phases;

    private final Supplier<List<MetricSnapshot>> tcHooks;

    DataplaneMetrics(ObjectSources objects, Supplier<List<ReasonCounters>> counters, Supplier<CounterSnapshot> chains,
                     LatencyHistogram phases, Supplier<List<MetricSnapshot>> tcHooks) {
        this.tcHooks = tcHooks;
        this.cache = AgentMetrics.cache(objects::hits, objects::misses, objects::clangRuns, objects::memoHits);
        this.counters = counters;
        this.drops = AgentMetrics.drops(this::drops);
        this.chains = chains;
        this.phases = phases;
    }

    @Override
    public MetricSnapshots collect() {
        List<MetricSnapshot> out = new ArrayList<>();
        cache.collect().forEach(out::add);
        out.add(phases.collect());
        drops.collect().forEach(out::add);
        out.add(chains.get());
        out.addAll(tcHooks.get());
        return new MetricSnapshots(out);
    }

    /** Every non-zero drop counter of every template of every attached endpoint. */
    List<AgentMetrics.Drop> drops() {
        List<AgentMetrics.Drop> out = new ArrayList<>();
        for (ReasonCounters c : counters.get()) {
            out.addAll(c.read());
        }
        return out;
    }
}
