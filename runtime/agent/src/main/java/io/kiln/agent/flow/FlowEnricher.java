package io.kiln.agent.flow;

import io.kiln.agent.plan.EndpointPlan;
import io.kiln.agent.plan.Plan;
import io.kiln.agent.spec.Cidr;
import io.kiln.templates.EndpointBpf.DropReason;
import io.kiln.templates.FlowEvent;

import java.net.InetAddress;
import java.time.Instant;
import java.util.Map;
import java.util.function.Supplier;

/**
 * Turns a kernel {@link FlowEvent} into a {@link FlowRecord} with the agent's names: the endpoint
 * that saw it, and for each address the local endpoint it belongs to (name, labels, identity) or
 * the identity of the most specific ipcache prefix holding it. Reads the plan in effect at the
 * time of enrichment: an endpoint deleted since the event is no longer named.
 */
final class FlowEnricher {
    private final Supplier<Plan> plan;
    /** Wall clock minus monotonic clock, once: the kernel's times are CLOCK_MONOTONIC. */
    private final long wallMinusMonotonicNanos;

    FlowEnricher(Supplier<Plan> plan) {
        this.plan = plan;
        Instant now = Instant.now();
        this.wallMinusMonotonicNanos = now.getEpochSecond() * 1_000_000_000L + now.getNano() - System.nanoTime();
    }

    FlowRecord enrich(FlowEvent e) {
        return enrich(e, false);
    }

    /** @param expired the event is the agent's, for a conntrack entry that expired: type {@code expired} */
    FlowRecord enrich(FlowEvent e, boolean expired) {
        Plan p = plan.get();
        EndpointPlan self = p.endpoints().get(e.endpointId());
        String type = expired ? "expired" : e.type().name().toLowerCase(java.util.Locale.ROOT);
        Verdict verdict;
        String reason = null;
        if (e.type() == FlowEvent.Type.DROP) {
            verdict = Verdict.DROPPED;
            reason = reasonName(e.reason());
        } else {
            verdict = e.isAudit() ? Verdict.AUDIT : Verdict.FORWARDED;
        }
        boolean drop = e.type() == FlowEvent.Type.DROP;
        return new FlowRecord(0, wall(e.timestamp()), type, verdict, reason, e.endpointId(),
                self == null ? null : self.interfaceName(), e.dir() == 1 ? "egress" : "ingress",
                FlowRecord.protocolName(e.proto()), peer(p, e.saddr(), e.sport()), peer(p, e.daddr(), e.dport()),
                FlowRecord.tcpFlagNames(e.tcpFlags()), drop ? null : wall(e.firstSeen()),
                drop ? null : wall(e.lastSeen()), e.packetsFwd(), e.bytesFwd(), e.packetsRev(), e.bytesRev(), e.rttMicros());
    }

    private static String reasonName(int code) {
        try {
            return DropReason.of(code).name();
        } catch (IllegalArgumentException unknown) {
            return "REASON_" + code; // a template newer than this agent: still say which
        }
    }

    private Instant wall(long monotonicNanos) {
        long n = monotonicNanos + wallMinusMonotonicNanos;
        return Instant.ofEpochSecond(Math.floorDiv(n, 1_000_000_000L), Math.floorMod(n, 1_000_000_000L));
    }

    private static FlowPeer peer(Plan p, InetAddress address, int port) {
        if (address == null) {
            return new FlowPeer(null, port, 0, null, null, null);
        }
        for (EndpointPlan ep : p.endpoints().values()) {
            if (address.equals(ep.addresses().ipv4()) || address.equals(ep.addresses().ipv6())) {
                return new FlowPeer(address, port, ep.identity(), ep.id(), ep.interfaceName(), ep.labels().map());
            }
        }
        Cidr best = null;
        int identity = 0;
        for (Map.Entry<Cidr, Integer> c : p.node().ipcache().entrySet()) {
            boolean sameFamily = c.getKey().isIpv4() == (address instanceof java.net.Inet4Address);
            if (sameFamily && c.getKey().contains(address)
                    && (best == null || c.getKey().prefixLength() > best.prefixLength())) {
                best = c.getKey();
                identity = c.getValue();
            }
        }
        return new FlowPeer(address, port, identity, null, null, null);
    }
}
