package io.kiln.agent.dataplane;

import io.kiln.agent.api.AgentMetrics;
import io.kiln.bpf.BpfMap;
import io.kiln.template.ReasonDecl;
import io.kiln.template.TemplateDescriptor;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;
import java.util.Optional;

/**
 * One template's reason counters as one endpoint runs them: the template's name and declared
 * reasons, and the pin of its loaded counter map ({@code reasonCounters} in the descriptor). The
 * layout is fixed by {@link ReasonDecl}: a per-CPU map, key {@code direction * SLOTS + code} (u32),
 * value {@code __u64 packets, __u64 bytes}. The dataplane's template gives one per endpoint; a
 * template chained in front of it gives another, with its own name and reasons.
 */
public record ReasonCounters(int endpointId, String template, List<ReasonDecl> reasons, Path pin) {
    public ReasonCounters {
        Objects.requireNonNull(template, "template");
        reasons = List.copyOf(reasons);
        Objects.requireNonNull(pin, "pin");
    }

    /** The counters of {@code template} when it declares a counter map, read from {@code pin}. */
    public static Optional<ReasonCounters> of(int endpointId, TemplateDescriptor template, Path pin) {
        if (template.reasonCounters().isEmpty() || template.reasons().isEmpty()) {
            return Optional.empty();
        }
        return Optional.of(new ReasonCounters(endpointId, template.name(), template.reasons(), pin));
    }

    /**
     * Every drop reason with a non-zero count, per direction; empty when the map is gone (detached
     * while we read) or has another layout (a template that breaks the convention is not read, never
     * misread).
     */
    public List<AgentMetrics.Drop> read() {
        if (!Files.exists(pin)) {
            return List.of();
        }
        try (BpfMap m = BpfMap.openPinned(pin)) {
            return read(m);
        } catch (RuntimeException gone) {
            return List.of();
        }
    }

    /** As {@link #read()}, from an open map. */
    public List<AgentMetrics.Drop> read(BpfMap map) {
        if (!map.isPerCpu() || map.definition().keySize() != 4
                || map.definition().valueSize() != ReasonDecl.COUNTER_VALUE_SIZE) {
            return List.of();
        }
        List<AgentMetrics.Drop> out = new ArrayList<>();
        for (int dir = 0; dir < ReasonDecl.DIRECTIONS.size(); dir++) {
            for (ReasonDecl r : reasons) {
                if (!r.drop()) {
                    continue;
                }
                int slot = dir * ReasonDecl.SLOTS + r.code();
                byte[] key = ByteBuffer.allocate(4).order(ByteOrder.nativeOrder()).putInt(slot).array();
                long packets = 0;
                long bytes = 0;
                for (byte[] cpu : map.lookupPerCpu(key).orElse(List.of())) {
                    ByteBuffer v = ByteBuffer.wrap(cpu).order(ByteOrder.nativeOrder());
                    packets += v.getLong(0);
                    bytes += v.getLong(8);
                }
                if (packets > 0) {
                    out.add(new AgentMetrics.Drop(endpointId, template, ReasonDecl.DIRECTIONS.get(dir), r.name(),
                            packets, bytes));
                }
            }
        }
        return out;
    }
}
