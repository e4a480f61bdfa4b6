package io.kiln.agent.dataplane;

import io.kiln.agent.api.AgentMetrics;
import io.kiln.agent.api.LatencyHistogram;
import io.kiln.agent.api.MetricFamily;
import io.kiln.agent.api.MetricsProvider;
import io.kiln.bpf.BpfMap;
import io.kiln.runtime.EndpointLoader;
import io.kiln.templates.DropReason;
import io.kiln.templates.EndpointBpf.MetricsMap;
import io.kiln.templates.EndpointDefines;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;

/**
 * The dataplane's figures for {@code /metrics}: object cache hits and misses and clang runs, the
 * time of each regeneration phase, and every attached endpoint's drops per direction and reason,
 * summed over CPUs from its pinned {@code metrics} map (reasons by {@link DropReason}'s names).
 */
final class DataplaneMetrics implements MetricsProvider {
    private final ObjectSources objects;
    private final EndpointLoader loader;
    private final LatencyHistogram phases;

    DataplaneMetrics(ObjectSources objects, EndpointLoader loader, LatencyHistogram phases) {
        this.objects = objects;
        this.loader = loader;
        this.phases = phases;
    }

    @Override
    public List<MetricFamily> metrics() {
        List<MetricFamily> out = new ArrayList<>(AgentMetrics.cache(objects.hits(), objects.misses(), objects.clangRuns(),
                objects.memoHits()));
        out.add(phases.family());
        out.addAll(AgentMetrics.drops(drops()));
        out.add(new ChainCounters(loader).family(loader.endpointIds()));
        return out;
    }

    /** Every non-zero drop counter of every endpoint with a state file. */
    List<AgentMetrics.Drop> drops() {
        List<AgentMetrics.Drop> out = new ArrayList<>();
        for (int id : loader.endpointIds()) {
            Path pin = loader.pins().endpointMap(id, MetricsMap.NAME);
            if (!Files.exists(pin)) {
                continue;
            }
            try (BpfMap m = BpfMap.openPinned(pin)) {
                for (int dir : new int[] {EndpointDefines.DIR_INGRESS, EndpointDefines.DIR_EGRESS}) {
                    for (DropReason r : DropReason.values()) {
                        if (!r.isDrop()) {
                            continue;
                        }
                        MetricsMap.Value c = sum(m.lookupPerCpu(EndpointDefines.metricsKey(dir, r).toBytes()));
                        if (c.packets() > 0) {
                            out.add(new AgentMetrics.Drop(id, dir == EndpointDefines.DIR_INGRESS ? "ingress" : "egress",
                                    r.name(), c.packets(), c.bytes()));
                        }
                    }
                }
            } catch (RuntimeException gone) {
                // detached while we read: its counters went with it
            }
        }
        return out;
    }

    private static MetricsMap.Value sum(Optional<List<byte[]>> perCpu) {
        long packets = 0;
        long bytes = 0;
        for (byte[] v : perCpu.orElse(List.of())) {
            MetricsMap.Value one = MetricsMap.Value.fromBytes(v);
            packets += one.packets();
            bytes += one.bytes();
        }
        return new MetricsMap.Value(packets, bytes);
    }
}
