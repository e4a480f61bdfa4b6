package io.kiln.agent.flow;

import io.kiln.bpf.BpfMap;
import io.kiln.templates.EndpointBpf.ConntrackMap;
import io.kiln.templates.EndpointDefines;
import io.kiln.templates.FlowEvent;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.function.Consumer;

/**
 * The agent's side of flow ends: a connection that never ended with an RST or a closed TCP
 * handshake (UDP, ICMP echo, a TCP connection whose last ACK never came) ends when its IPv4
 * conntrack entry expires. A scan reports each expired connection entry once, as an {@code expired}
 * record with the entry's counters, and deletes it (the kernel already treats it as absent, and an
 * LRU map would only evict it under pressure). Service entries (lb.h) carry no flow and are only
 * deleted. A packet that refreshes an entry between the scan's read and its delete loses the entry
 * and opens the connection again (policy judges it once more): the same race as Cilium's GC.
 *
 * <p>Not done for {@code conntrack6} yet.
 */
final class ConntrackExpiry {
    private final Path conntrackPin;
    private final Consumer<FlowEvent> report;

    ConntrackExpiry(Path conntrackPin, Consumer<FlowEvent> report) {
        this.conntrackPin = conntrackPin;
        this.report = report;
    }

    /** One scan; returns how many entries it deleted (0 while the map is not pinned yet). */
    int scan() {
        if (!Files.exists(conntrackPin)) {
            return 0;
        }
        int deleted = 0;
        long now = System.nanoTime(); // CLOCK_MONOTONIC, the kernel's bpf_ktime_get_ns()
        try (BpfMap ct = BpfMap.openPinned(conntrackPin)) {
            for (byte[] key : ct.keys()) {
                byte[] raw = ct.lookup(key).orElse(null);
                if (raw == null) {
                    continue;
                }
                ConntrackMap.Value v = ConntrackMap.Value.fromBytes(raw);
                if (v.expires() > now) {
                    continue;
                }
                ConntrackMap.Key k = ConntrackMap.Key.fromBytes(key);
                boolean flow = k.kind() != EndpointDefines.CT_KIND_SERVICE && v.packetsFwd() > 0
                        && (v.flowFlags() & FlowEvent.FLOW_F_ENDED) == 0;
                if (ct.delete(key)) {
                    deleted++;
                    if (flow) {
                        report.accept(event(k, v, now));
                    }
                }
            }
        }
        return deleted;
    }

    private static FlowEvent event(ConntrackMap.Key k, ConntrackMap.Value v, long now) {
        // CT_KIND_INGRESS/EGRESS are DIR_INGRESS/EGRESS: the direction of the opening packet
        return new FlowEvent(FlowEvent.Type.END, 4, k.proto(), k.kind(), 0, v.tcpFlags(), v.flowFlags(),
                v.endpointId(), k.sport(), k.dport(), EndpointDefines.ipv4(k.saddr()), EndpointDefines.ipv4(k.daddr()),
                now, v.firstSeen(), v.lastSeen(), v.packetsFwd(), v.bytesFwd(), v.packetsRev(), v.bytesRev(),
                v.rttUs());
    }
}
