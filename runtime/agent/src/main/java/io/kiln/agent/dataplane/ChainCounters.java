package io.kiln.agent.dataplane;

import io.kiln.bpf.BpfMap;
import io.kiln.runtime.AttachedEndpoint;
import io.kiln.runtime.EndpointLoader;
import io.kiln.runtime.PolicyChain;
import io.kiln.template.ReasonDecl;
import io.kiln.template.TemplateDescriptor;
import io.prometheus.metrics.model.snapshots.CounterSnapshot;
import io.prometheus.metrics.model.snapshots.CounterSnapshot.CounterDataPointSnapshot;
import io.prometheus.metrics.model.snapshots.Labels;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.TreeMap;
import java.util.function.Function;

/**
 * The counters of each endpoint's chained programs, from each chained template's declared reasons
 * and counter map ({@code reasons} and {@code reasonCounters} in its descriptor, the layout of
 * {@link ReasonDecl}): every verdict, passed on or dropped, as
 * {@code kiln_chain_packets_total{endpoint, position, template, reason}}, and the drops as the
 * template's {@link ReasonCounters} beside the dataplane's. A chained template that declares no
 * counter map is not counted.
 */
final class ChainCounters {
    static final String FAMILY = "kiln_chain_packets_total";

    private final PolicyChain chain;
    private final Function<String, Optional<TemplateDescriptor>> templates;

    ChainCounters(EndpointLoader loader, Function<String, Optional<TemplateDescriptor>> templates) {
        this.chain = new PolicyChain(loader);
        this.templates = templates;
    }

    /** A chained program as it runs: its position, template and where its counter map is pinned. */
    private record Counted(int position, TemplateDescriptor template, Path pin) {
    }

    private List<Counted> counted(int id) {
        Map<Integer, AttachedEndpoint> links;
        try {
            links = chain.adoptByPosition(id);
        } catch (RuntimeException unreadable) {
            return List.of();
        }
        List<Counted> out = new ArrayList<>();
        links.forEach((position, a) -> {
            String name = a.template();
            a.close();
            templates.apply(name).filter(t -> t.reasonCounters().isPresent() && !t.reasons().isEmpty())
                    .ifPresent(t -> out.add(new Counted(position, t, chain.loaderAt(position,
                            io.kiln.runtime.Attachment.Kind.TCX_LINK).pins().endpointMap(id, t.reasonCounters().get()))));
        });
        return out;
    }

    /** The drop counters of every chained program of the endpoints {@code endpointIds}. */
    List<ReasonCounters> reasonCounters(List<Integer> endpointIds) {
        List<ReasonCounters> out = new ArrayList<>();
        for (int id : endpointIds) {
            for (Counted c : counted(id)) {
                ReasonCounters.of(id, c.template(), c.pin()).ifPresent(out::add);
            }
        }
        return out;
    }

    /** Reason name to packets (both directions) of one chained program; empty when its map is gone. */
    private static Map<String, Long> read(Counted c) {
        Map<String, Long> out = new TreeMap<>();
        if (!Files.exists(c.pin())) {
            return out;
        }
        try (BpfMap m = BpfMap.openPinned(c.pin())) {
            if (!m.isPerCpu() || m.definition().keySize() != 4
                    || m.definition().valueSize() != ReasonDecl.COUNTER_VALUE_SIZE) {
                return out; // another layout is not read, never misread
            }
            for (ReasonDecl r : c.template().reasons()) {
                long sum = 0;
                for (int dir = 0; dir < ReasonDecl.DIRECTIONS.size(); dir++) {
                    int slot = dir * ReasonDecl.SLOTS + r.code();
                    byte[] key = ByteBuffer.allocate(4).order(ByteOrder.nativeOrder()).putInt(slot).array();
                    for (byte[] v : m.lookupPerCpu(key).orElse(List.of())) {
                        sum += ByteBuffer.wrap(v).order(ByteOrder.nativeOrder()).getLong(0);
                    }
                }
                out.put(r.name(), sum);
            }
        } catch (RuntimeException gone) {
            // detached while we read: its counters went with it
        }
        return out;
    }

    /** Every chained program's non-zero counters, of every endpoint in {@code endpointIds}, read now. */
    CounterSnapshot family(List<Integer> endpointIds) {
        CounterSnapshot.Builder family = CounterSnapshot.builder().name(FAMILY)
                .help("Packets counted by an endpoint's chained programs, by reason.");
        for (int id : endpointIds) {
            for (Counted c : counted(id)) {
                read(c).forEach((reason, packets) -> {
                    if (packets > 0) {
                        family.dataPoint(CounterDataPointSnapshot.builder().value(packets).labels(Labels.of(
                                "endpoint", Integer.toString(id), "position", Integer.toString(c.position()),
                                "template", c.template().name(), "reason", reason)).build());
                    }
                });
            }
        }
        return family.build();
    }
}
