package io.kiln.demo;

import io.kiln.bpf.BpfMap;
import io.kiln.runtime.PinLayout;
import io.kiln.templates.EndpointBpf.DropReason;
import io.kiln.templates.EndpointBpf.MetricsMap;
import io.kiln.templates.EndpointDefines;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;

/**
 * An endpoint's verdict counters, read from its pinned {@code metrics} map (the endpoint
 * template's per-CPU {packets, bytes} per direction and reason), summed over CPUs.
 *
 * @param packets "ingress POLICY_DENIED" style keys to packets; only non-zero counters
 */
public record Counters(int endpointId, Map<String, Long> packets) {
    public Counters {
        packets = java.util.Collections.unmodifiableMap(new TreeMap<>(packets));
    }

    /** Reads the counters of endpoint {@code id} under {@code pins}; empty when it has no metrics pin. */
    public static Counters read(PinLayout pins, int id) {
        Path pin = pins.endpointMap(id, "metrics");
        Map<String, Long> out = new TreeMap<>();
        if (!Files.exists(pin)) {
            return new Counters(id, out);
        }
        try (BpfMap metrics = BpfMap.openPinned(pin)) {
            for (int dir : new int[] {EndpointDefines.DIR_INGRESS, EndpointDefines.DIR_EGRESS}) {
                for (DropReason r : DropReason.values()) {
                    long sum = 0;
                    for (byte[] cpu : metrics.lookupPerCpu(EndpointDefines.metricsKey(dir, r).toBytes()).orElse(List.of())) {
                        sum += MetricsMap.Value.fromBytes(cpu).packets();
                    }
                    if (sum != 0) {
                        out.put(key(dir, r), sum);
                    }
                }
            }
        }
        return new Counters(id, out);
    }

    /** {@code ingress POLICY_DENIED}: ingress is what the endpoint receives, egress what it sends. */
    public static String key(int dir, DropReason r) {
        return (dir == EndpointDefines.DIR_INGRESS ? "ingress " : "egress ") + r.name();
    }

    public long get(int dir, DropReason r) {
        return packets.getOrDefault(key(dir, r), 0L);
    }

    /** What grew since {@code before} (same endpoint), non-zero differences only. */
    public Counters since(Counters before) {
        Map<String, Long> d = new TreeMap<>();
        packets.forEach((k, v) -> {
            long diff = v - before.packets.getOrDefault(k, 0L);
            if (diff != 0) {
                d.put(k, diff);
            }
        });
        return new Counters(endpointId, d);
    }
}
