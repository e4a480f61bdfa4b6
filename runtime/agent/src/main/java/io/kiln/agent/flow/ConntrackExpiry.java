package io.kiln.agent.flow;

import io.kiln.bpf.BpfMap;
import io.kiln.templates.EndpointBpf.Conntrack6Map;
import io.kiln.templates.EndpointBpf.ConntrackMap;
import io.kiln.templates.EndpointDefines;
import io.kiln.templates.FlowEvent;

import java.net.InetAddress;
import java.net.UnknownHostException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.function.Consumer;

/**
 * The agent's side of flow ends: a connection that never ended with an RST or a closed TCP
 * handshake (UDP, ICMP echo, a TCP connection whose last ACK never came) ends when its conntrack
 * entry expires. A scan of {@code conntrack} (IPv4) and {@code conntrack6} (IPv6; the same
 * {@code struct ct_entry}) reports each expired connection entry once, as an {@code expired} record
 * with the entry's counters, and deletes it (the kernel already treats it as absent, and an LRU map
 * would only evict it under pressure). Service entries (lb.h) carry no flow and are only deleted. A
 * packet that refreshes an entry between the scan's read and its delete loses the entry and opens
 * the connection again (policy judges it once more): the same race as Cilium's GC.
 */
final class ConntrackExpiry {
    private final Path conntrackPin;
    private final Path conntrack6Pin;
    private final Consumer<FlowEvent> report;

    /** One entry of either map, decoded. */
    private record Entry(int family, int kind, int proto, int sport, int dport, InetAddress saddr, InetAddress daddr,
                         long expires, int tcpFlags, int flowFlags, int endpointId, long firstSeen, long lastSeen,
                         long packetsFwd, long bytesFwd, long packetsRev, long bytesRev, long rttUs) {
    }

    ConntrackExpiry(Path conntrackPin, Path conntrack6Pin, Consumer<FlowEvent> report) {
        this.conntrackPin = conntrackPin;
        this.conntrack6Pin = conntrack6Pin;
        this.report = report;
    }

    /** One scan of both maps; returns how many entries it deleted (0 for a map not pinned yet). */
    int scan() {
        long now = System.nanoTime(); // CLOCK_MONOTONIC, the kernel's bpf_ktime_get_ns()
        return scan(conntrackPin, 4, now) + scan(conntrack6Pin, 6, now);
    }

    private int scan(Path pin, int family, long now) {
        if (!Files.exists(pin)) {
            return 0;
        }
        try (BpfMap ct = BpfMap.openPinned(pin)) {
            return scan(ct, family, now);
        }
    }

    /** One scan of an open conntrack map of the family (4: conntrack, 6: conntrack6), expired as of {@code now}. */
    int scan(BpfMap ct, int family, long now) {
        int deleted = 0;
        for (byte[] key : ct.keys()) {
            byte[] raw = ct.lookup(key).orElse(null);
            if (raw == null) {
                continue;
            }
            Entry e = family == 4 ? entry4(key, raw) : entry6(key, raw);
            if (e.expires() > now) {
                continue;
            }
            boolean flow = e.kind() != EndpointDefines.CT_KIND_SERVICE && e.packetsFwd() > 0
                    && (e.flowFlags() & FlowEvent.FLOW_F_ENDED) == 0;
            if (ct.delete(key)) {
                deleted++;
                if (flow) {
                    report.accept(event(e, now));
                }
            }
        }
        return deleted;
    }

    private static Entry entry4(byte[] key, byte[] raw) {
        ConntrackMap.Key k = ConntrackMap.Key.fromBytes(key);
        ConntrackMap.Value v = ConntrackMap.Value.fromBytes(raw);
        return new Entry(4, k.kind(), k.proto(), k.sport(), k.dport(), EndpointDefines.ipv4(k.saddr()),
                EndpointDefines.ipv4(k.daddr()), v.expires(), v.tcpFlags(), v.flowFlags(), v.endpointId(),
                v.firstSeen(), v.lastSeen(), v.packetsFwd(), v.bytesFwd(), v.packetsRev(), v.bytesRev(), v.rttUs());
    }

    private static Entry entry6(byte[] key, byte[] raw) {
        Conntrack6Map.Key k = Conntrack6Map.Key.fromBytes(key);
        Conntrack6Map.Value v = Conntrack6Map.Value.fromBytes(raw);
        return new Entry(6, k.kind(), k.proto(), k.sport(), k.dport(), ipv6(k.saddr()), ipv6(k.daddr()),
                v.expires(), v.tcpFlags(), v.flowFlags(), v.endpointId(), v.firstSeen(), v.lastSeen(),
                v.packetsFwd(), v.bytesFwd(), v.packetsRev(), v.bytesRev(), v.rttUs());
    }

    private static InetAddress ipv6(byte[] raw) {
        try {
            return InetAddress.getByAddress(raw); // 16 bytes: an Inet6Address, never a lookup
        } catch (UnknownHostException e) {
            throw new IllegalStateException(e);
        }
    }

    private static FlowEvent event(Entry e, long now) {
        // CT_KIND_INGRESS/EGRESS are DIR_INGRESS/EGRESS: the direction of the opening packet
        return new FlowEvent(FlowEvent.Type.END, e.family(), e.proto(), e.kind(), 0, e.tcpFlags(), e.flowFlags(),
                e.endpointId(), e.sport(), e.dport(), e.saddr(), e.daddr(), now, e.firstSeen(), e.lastSeen(),
                e.packetsFwd(), e.bytesFwd(), e.packetsRev(), e.bytesRev(), e.rttUs());
    }
}
