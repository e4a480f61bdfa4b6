package io.kiln.agent.dataplane;

import io.kiln.agent.api.MetricFamily;
import io.kiln.bpf.BpfMap;
import io.kiln.runtime.AttachedEndpoint;
import io.kiln.runtime.EndpointLoader;
import io.kiln.runtime.PolicyChain;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;

/**
 * The packets each endpoint's chained programs counted, by reason, as
 * {@code kiln_chain_packets_total{endpoint, position, template, reason}}. A chained template counts
 * in a per-CPU array of u64 indexed by reason; until descriptors declare their reasons, the map and
 * the reasons' names of the templates Kiln ships are listed here ({@link #KNOWN}).
 */
final class ChainCounters {
    static final String FAMILY = "kiln_chain_packets_total";

    /** A chained template's counter map and the names of its indexes. */
    record Layout(String map, List<String> reasons) {
    }

    static final Map<String, Layout> KNOWN = Map.of(
            "syn_guard", new Layout("syn_metrics", List.of("SYN_PASSED", "SYN_OVER_BUDGET")));

    private final PolicyChain chain;

    ChainCounters(EndpointLoader loader) {
        this.chain = new PolicyChain(loader);
    }

    /** Reason name to packets for the chained template at {@code position} of endpoint {@code id}; empty if unknown. */
    Map<String, Long> read(int id, int position, String template) {
        Layout layout = KNOWN.get(template);
        Map<String, Long> out = new TreeMap<>();
        if (layout == null) {
            return out;
        }
        Path pin = chain.loaderAt(position, io.kiln.runtime.Attachment.Kind.TCX_LINK).pins().endpointMap(id, layout.map());
        if (!Files.exists(pin)) {
            return out;
        }
        try (BpfMap m = BpfMap.openPinned(pin)) {
            for (int r = 0; r < layout.reasons().size(); r++) {
                byte[] key = ByteBuffer.allocate(4).order(ByteOrder.nativeOrder()).putInt(r).array();
                long sum = 0;
                for (byte[] v : m.lookupPerCpu(key).orElse(List.of())) {
                    sum += ByteBuffer.wrap(v).order(ByteOrder.nativeOrder()).getLong();
                }
                out.put(layout.reasons().get(r), sum);
            }
        } catch (RuntimeException gone) {
            // detached while we read: its counters went with it
        }
        return out;
    }

    /** Every chained program's non-zero counters, of every endpoint in {@code endpointIds}. */
    MetricFamily family(List<Integer> endpointIds) {
        List<MetricFamily.Sample> samples = new ArrayList<>();
        for (int id : endpointIds) {
            Map<Integer, AttachedEndpoint> links;
            try {
                links = chain.adoptByPosition(id);
            } catch (RuntimeException unreadable) {
                continue;
            }
            links.forEach((position, a) -> {
                String template = a.template();
                a.close();
                read(id, position, template).forEach((reason, packets) -> {
                    if (packets > 0) {
                        samples.add(MetricFamily.Sample.of(Map.of("endpoint", Integer.toString(id), "position",
                                Integer.toString(position), "template", template, "reason", reason), packets));
                    }
                });
            });
        }
        return new MetricFamily(FAMILY, "Packets counted by an endpoint's chained programs, by reason.",
                MetricFamily.Type.COUNTER, samples);
    }
}
