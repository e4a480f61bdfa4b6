package io.kiln.dataplane;

import io.kiln.bpf.RingBuffer;
import io.kiln.dataplane.EndpointMaps.CtEntry;
import io.kiln.templates.EndpointBpf.DropReason;
import io.kiln.templates.FlowEvent;
import io.kiln.testing.TemplateUnderTest;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;
import org.junit.jupiter.api.Test;

import java.util.ArrayList;
import java.util.List;

import static io.kiln.dataplane.EndpointMaps.ALLOW;
import static io.kiln.dataplane.EndpointMaps.CT_KIND_EGRESS;
import static io.kiln.dataplane.EndpointMaps.DIR_EGRESS;
import static io.kiln.dataplane.EndpointMaps.DIR_INGRESS;
import static io.kiln.dataplane.Fixture.EP;
import static io.kiln.dataplane.Fixture.REMOTE;
import static io.kiln.dataplane.Fixture.REMOTE_IDENTITY;
import static io.kiln.dataplane.Fixture.fromEndpoint;
import static io.kiln.dataplane.Fixture.load;
import static io.kiln.dataplane.Fixture.policy;
import static io.kiln.dataplane.Fixture.toEndpoint;
import static io.kiln.lab.Packets.IPPROTO_TCP;
import static io.kiln.lab.Packets.IPPROTO_UDP;
import static io.kiln.lab.Packets.TCP_ACK;
import static io.kiln.lab.Packets.TCP_FIN;
import static io.kiln.lab.Packets.TCP_RST;
import static io.kiln.lab.Packets.TCP_SYN;
import static io.kiln.testing.TestRun.TC_ACT_OK;
import static io.kiln.testing.TestRun.TC_ACT_SHOT;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Flow visibility (flows.h): counters in the conntrack entry, start/end/drop events in the node ring
 * buffer, read back through libbpf's ring buffer API, in both tiers.
 */
class EndpointFlowEventsTest {

    private static List<FlowEvent> drain(TemplateUnderTest t) {
        List<FlowEvent> out = new ArrayList<>();
        try (RingBuffer ring = RingBuffer.open(t.map("flow_events").bpf(), r -> out.add(FlowEvent.decode(r)))) {
            ring.consume();
        }
        return out;
    }

    private static TemplateUnderTest tracked(String configSource, Object... more) {
        Object[] p = new Object[4 + more.length];
        p[0] = "loadBalancing";
        p[1] = false;
        p[2] = "configSource";
        p[3] = configSource;
        System.arraycopy(more, 0, p, 4, more.length);
        return load(p);
    }

    @ParameterizedTest
    @ValueSource(strings = {"constants", "node"})
    void aTcpConnectionIsStartedOnceCountedExactlyAndEndedOnceByTheLastAck(String configSource) {
        try (TemplateUnderTest t = tracked(configSource)) {
            policy(t, REMOTE_IDENTITY, 80, IPPROTO_TCP, DIR_EGRESS, ALLOW);
            List<byte[]> sent = new ArrayList<>();
            List<byte[]> received = new ArrayList<>();
            sent.add(fromEndpoint(REMOTE).tcp(40000, 80, TCP_SYN).build());
            received.add(toEndpoint(REMOTE).tcp(80, 40000, TCP_SYN | TCP_ACK).build());
            sent.add(fromEndpoint(REMOTE).tcp(40000, 80, TCP_ACK).payload(100).build());
            received.add(toEndpoint(REMOTE).tcp(80, 40000, TCP_ACK).payload(1000).build());
            received.add(toEndpoint(REMOTE).tcp(80, 40000, TCP_ACK).payload(500).build());
            sent.add(fromEndpoint(REMOTE).tcp(40000, 80, TCP_FIN | TCP_ACK).build());
            received.add(toEndpoint(REMOTE).tcp(80, 40000, TCP_FIN | TCP_ACK).build());
            sent.add(fromEndpoint(REMOTE).tcp(40000, 80, TCP_ACK).build()); // the last ACK: the end
            int sentFirst = sent.get(0).length;
            // interleave as a real exchange would
            long synSent = System.nanoTime();
            t.run("from_endpoint", sent.get(0)).assertVerdict(TC_ACT_OK);
            List<FlowEvent> first = drain(t);
            assertEquals(1, first.size(), "one start event: " + first);
            FlowEvent start = first.get(0);
            assertEquals(FlowEvent.Type.START, start.type());
            assertEquals(EP.id(), start.endpointId());
            assertEquals(DIR_EGRESS, start.dir());
            assertEquals(EP.ipv4(), start.saddr().getHostAddress());
            assertEquals(REMOTE, start.daddr().getHostAddress());
            assertEquals(40000, start.sport());
            assertEquals(80, start.dport());
            assertEquals(IPPROTO_TCP, start.proto());
            assertEquals(DropReason.FORWARDED, start.verdictReason());
            assertEquals(1, start.packetsFwd());
            assertEquals(sentFirst, start.bytesFwd());
            assertEquals(0, start.packetsRev());

            t.run("to_endpoint", received.get(0)).assertVerdict(TC_ACT_OK);
            long synAckSeen = System.nanoTime();
            t.run("from_endpoint", sent.get(1)).assertVerdict(TC_ACT_OK);
            t.run("to_endpoint", received.get(1)).assertVerdict(TC_ACT_OK);
            t.run("to_endpoint", received.get(2)).assertVerdict(TC_ACT_OK);
            t.run("from_endpoint", sent.get(2)).assertVerdict(TC_ACT_OK);
            t.run("to_endpoint", received.get(3)).assertVerdict(TC_ACT_OK);
            assertEquals(List.of(), drain(t), "no event before the last ACK");
            t.run("from_endpoint", sent.get(3)).assertVerdict(TC_ACT_OK);

            List<FlowEvent> events = drain(t);
            assertEquals(1, events.size(), "one end event: " + events);
            FlowEvent end = events.get(0);
            assertEquals(FlowEvent.Type.END, end.type());
            assertEquals(40000, end.sport());
            assertEquals(EP.ipv4(), end.saddr().getHostAddress());
            assertEquals(DIR_EGRESS, end.dir());
            assertEquals(sent.size(), end.packetsFwd());
            assertEquals(sent.stream().mapToLong(b -> b.length).sum(), end.bytesFwd());
            assertEquals(received.size(), end.packetsRev());
            assertEquals(received.stream().mapToLong(b -> b.length).sum(), end.bytesRev());
            assertEquals(TCP_SYN | TCP_ACK | TCP_FIN, end.tcpFlags());
            assertTrue(end.firstSeen() <= end.lastSeen() && end.lastSeen() <= end.timestamp());
            assertEquals(start.firstSeen(), end.firstSeen());
            assertEquals(0, start.rttMicros(), "the start event comes before the handshake is done");
            assertTrue(end.rttMicros() >= 1 && end.rttMicros() <= (synAckSeen - synSent) / 1000 + 1000,
                    "opened by the endpoint: SYN to SYN-ACK, got " + end.rttMicros() + " us");

            // later packets (a retransmitted ACK) end nothing a second time, but are still counted
            t.run("from_endpoint", sent.get(3)).assertVerdict(TC_ACT_OK);
            assertEquals(List.of(), drain(t));
            CtEntry e = EndpointMaps.CtEntry.decode(t.map("conntrack").get(
                    EndpointMaps.ctKey4(EP.ipv4(), REMOTE, 40000, 80, IPPROTO_TCP, CT_KIND_EGRESS)).orElseThrow());
            assertEquals(EP.id(), e.endpointId());
        }
    }

    @ParameterizedTest
    @ValueSource(strings = {"constants", "node"})
    void anRstEndsTheFlowAndAnIncomingConnectionIsSeenFromTheEndpoint(String configSource) {
        try (TemplateUnderTest t = tracked(configSource)) {
            policy(t, REMOTE_IDENTITY, 8080, IPPROTO_TCP, DIR_INGRESS, ALLOW);
            t.run("to_endpoint", toEndpoint(REMOTE).tcp(50000, 8080, TCP_SYN).build()).assertVerdict(TC_ACT_OK);
            long synAckSent = System.nanoTime(); // before the run: the kernel's time is inside it
            t.run("from_endpoint", fromEndpoint(REMOTE).tcp(8080, 50000, TCP_SYN | TCP_ACK).build()).assertVerdict(TC_ACT_OK);
            t.run("to_endpoint", toEndpoint(REMOTE).tcp(50000, 8080, TCP_ACK).build()).assertVerdict(TC_ACT_OK);
            long ackSeen = System.nanoTime();
            t.run("to_endpoint", toEndpoint(REMOTE).tcp(50000, 8080, TCP_RST).build()).assertVerdict(TC_ACT_OK);
            List<FlowEvent> events = drain(t);
            assertEquals(List.of(FlowEvent.Type.START, FlowEvent.Type.END), events.stream().map(FlowEvent::type).toList());
            FlowEvent end = events.get(1);
            assertEquals(DIR_INGRESS, end.dir(), "opened towards the endpoint");
            assertEquals(REMOTE, end.saddr().getHostAddress());
            assertEquals(50000, end.sport());
            assertEquals(8080, end.dport());
            assertEquals(3, end.packetsFwd());
            assertEquals(1, end.packetsRev());
            assertEquals(TCP_SYN | TCP_ACK | TCP_RST, end.tcpFlags());
            assertTrue(end.rttMicros() >= 1 && end.rttMicros() <= (ackSeen - synAckSent) / 1000 + 1000,
                    "opened towards the endpoint: its SYN-ACK to the peer's ACK, got " + end.rttMicros() + " us");
        }
    }

    @ParameterizedTest
    @ValueSource(strings = {"constants", "node"})
    void aDeniedPacketSendsADropEventWithItsReasonEndpointAndTuple(String configSource) {
        try (TemplateUnderTest t = tracked(configSource)) {
            byte[] denied = toEndpoint(REMOTE).udp(5353, 53).payload(20).build();
            t.run("to_endpoint", denied).assertVerdict(TC_ACT_SHOT);
            t.run("from_endpoint", Frames.spoofed()).assertVerdict(TC_ACT_SHOT);
            List<FlowEvent> events = drain(t);
            assertEquals(2, events.size(), events.toString());
            FlowEvent drop = events.get(0);
            assertEquals(FlowEvent.Type.DROP, drop.type());
            assertEquals(DropReason.POLICY_DENIED, drop.verdictReason());
            assertEquals(EP.id(), drop.endpointId());
            assertEquals(DIR_INGRESS, drop.dir());
            assertEquals(4, drop.family());
            assertEquals(REMOTE, drop.saddr().getHostAddress());
            assertEquals(EP.ipv4(), drop.daddr().getHostAddress());
            assertEquals(5353, drop.sport());
            assertEquals(53, drop.dport());
            assertEquals(IPPROTO_UDP, drop.proto());
            FlowEvent mac = events.get(1);
            assertEquals(DropReason.SPOOFED_MAC, mac.verdictReason());
            assertEquals(0, mac.family(), "dropped before the IP header was read");
            assertEquals(DIR_EGRESS, mac.dir());
        }
    }

    @Test
    void auditModeFlowsCarryTheAuditVerdict() {
        try (TemplateUnderTest t = tracked("constants", "policyMode", "audit")) {
            t.run("to_endpoint", toEndpoint(REMOTE).udp(5353, 53).build()).assertVerdict(TC_ACT_OK);
            List<FlowEvent> events = drain(t);
            assertEquals(1, events.size(), events.toString());
            assertEquals(FlowEvent.Type.START, events.get(0).type());
            assertEquals(DropReason.POLICY_AUDIT, events.get(0).verdictReason());
            assertTrue(events.get(0).isAudit());
        }
    }

    @Test
    void flowEventsOffSendsNothingAndCountsNothing() {
        try (TemplateUnderTest t = tracked("constants", "flowEvents", "off")) {
            policy(t, REMOTE_IDENTITY, 80, IPPROTO_TCP, DIR_EGRESS, ALLOW);
            t.run("from_endpoint", fromEndpoint(REMOTE).tcp(40000, 80, TCP_SYN).build()).assertVerdict(TC_ACT_OK);
            t.run("to_endpoint", toEndpoint(REMOTE).udp(5353, 53).build()).assertVerdict(TC_ACT_SHOT);
            assertEquals(List.of(), drain(t));
            CtEntry e = EndpointMaps.CtEntry.decode(t.map("conntrack").get(
                    EndpointMaps.ctKey4(EP.ipv4(), REMOTE, 40000, 80, IPPROTO_TCP, CT_KIND_EGRESS)).orElseThrow());
            assertEquals(TCP_SYN, e.tcpFlags(), "conntrack itself works as before");
            byte[] raw = t.map("conntrack").get(EndpointMaps.ctKey4(EP.ipv4(), REMOTE, 40000, 80, IPPROTO_TCP,
                    CT_KIND_EGRESS)).orElseThrow();
            for (int i = 24; i < raw.length; i++) {
                assertEquals(0, raw[i], "flow counters stay 0 with flowEvents=off (byte " + i + ")");
            }
        }
    }

    @Test
    void aFullRingCountsLostEvents() {
        try (TemplateUnderTest t = tracked("constants", "flowRingSize", 4096)) {
            int fits = 4096 / (FlowEvent.SIZE + 8); // 8-byte record header
            byte[] denied = toEndpoint(REMOTE).udp(5353, 53).build();
            t.run("to_endpoint", denied, 0, 100).assertVerdict(TC_ACT_SHOT);
            long lost = t.map("flow_lost").sumU64(new byte[4], 0);
            assertEquals(100 - fits, lost, "events beyond the ring's " + fits + " slots are counted as lost");
            assertEquals(fits, drain(t).size());
            t.run("to_endpoint", denied).assertVerdict(TC_ACT_SHOT);
            assertEquals(1, drain(t).size(), "room again once read");
        }
    }

    @Test
    void aLongFlowSendsOneUpdatePerIntervalWindowWithItsCountersSoFar() throws Exception {
        try (TemplateUnderTest t = tracked("constants", "flowUpdateInterval", 1)) {
            policy(t, REMOTE_IDENTITY, 53, IPPROTO_UDP, DIR_EGRESS, ALLOW);
            byte[] out = fromEndpoint(REMOTE).udp(41000, 53).payload(30).build();
            byte[] back = toEndpoint(REMOTE).udp(53, 41000).payload(70).build();
            t.run("from_endpoint", out).assertVerdict(TC_ACT_OK);
            t.run("to_endpoint", back).assertVerdict(TC_ACT_OK);
            t.run("from_endpoint", out, 0, 10).assertVerdict(TC_ACT_OK);
            List<FlowEvent> first = drain(t);
            assertEquals(List.of(FlowEvent.Type.START), first.stream().map(FlowEvent::type).toList(),
                    "within the first second: the start only");
            long firstSeen = first.get(0).firstSeen();
            while (System.nanoTime() < firstSeen + 1_050_000_000L) {
                Thread.sleep(20);
            }
            t.run("to_endpoint", back).assertVerdict(TC_ACT_OK); // the first packet of the second window
            t.run("from_endpoint", out, 0, 5).assertVerdict(TC_ACT_OK); // the same window: no second update
            List<FlowEvent> updates = drain(t);
            assertEquals(1, updates.size(), updates.toString());
            FlowEvent u = updates.get(0);
            assertEquals(FlowEvent.Type.UPDATE, u.type());
            assertEquals(DIR_EGRESS, u.dir(), "the tuple and direction of the opening packet, sent by a reply");
            assertEquals(EP.ipv4(), u.saddr().getHostAddress());
            assertEquals(41000, u.sport());
            assertEquals(53, u.dport());
            assertEquals(11, u.packetsFwd());
            assertEquals(2, u.packetsRev(), "the counters include the packet that sent it");
            assertEquals(11L * out.length, u.bytesFwd());
            assertEquals(2L * back.length, u.bytesRev());
            assertEquals(firstSeen, u.firstSeen());
            assertEquals(DropReason.FORWARDED, u.verdictReason());

            while (System.nanoTime() < firstSeen + 2_050_000_000L) {
                Thread.sleep(20);
            }
            t.run("from_endpoint", out).assertVerdict(TC_ACT_OK);
            List<FlowEvent> next = drain(t);
            assertEquals(1, next.size(), "the third window's first packet: " + next);
            assertEquals(FlowEvent.Type.UPDATE, next.get(0).type());
            assertEquals(17, next.get(0).packetsFwd());
        }
    }

    @ParameterizedTest
    @ValueSource(strings = {"constants", "node"})
    void updatesAndTheDropBudgetPassTheVerifierInBothTiersWithIpv6(String configSource) {
        try (TemplateUnderTest t = tracked(configSource, "ipv6", true, "flowUpdateInterval", 1, "flowDropRate", 10,
                "flowDropBurst", 2)) {
            byte[] denied = toEndpoint(REMOTE).udp(5353, 53).build();
            t.run("to_endpoint", denied, 0, 5).assertVerdict(TC_ACT_SHOT);
            assertEquals(2, drain(t).size());
            assertEquals(3, suppressed(t));
        }
    }

    @Test
    void withoutAnUpdateIntervalALongFlowSendsNoUpdate() throws Exception {
        try (TemplateUnderTest t = tracked("constants")) {
            policy(t, REMOTE_IDENTITY, 53, IPPROTO_UDP, DIR_EGRESS, ALLOW);
            byte[] out = fromEndpoint(REMOTE).udp(41001, 53).build();
            t.run("from_endpoint", out).assertVerdict(TC_ACT_OK);
            Thread.sleep(1100);
            t.run("from_endpoint", out).assertVerdict(TC_ACT_OK);
            assertEquals(List.of(FlowEvent.Type.START), drain(t).stream().map(FlowEvent::type).toList());
        }
    }

    @Test
    void aFloodOfDropsSendsItsBurstThenTheRateAndCountsTheRestAsSuppressed() throws Exception {
        try (TemplateUnderTest t = tracked("constants", "flowDropRate", 10, "flowDropBurst", 5)) {
            byte[] denied = toEndpoint(REMOTE).udp(5353, 53).build();
            t.run("to_endpoint", denied, 0, 50).assertVerdict(TC_ACT_SHOT); // one run: one CPU, one bucket
            assertEquals(5, drain(t).size(), "the burst");
            assertEquals(45, suppressed(t), "the rest of the flood");
            assertEquals(0, t.map("flow_lost").sumU64(new byte[4], 0), "the ring never filled");
            assertEquals(50, t.map("metrics").sumU64(EndpointMaps.metricsKey(DIR_INGRESS, DropReason.POLICY_DENIED), 0),
                    "every drop still counted by reason");
            Thread.sleep(350); // about 3 more tokens at 10 a second (more if the next run lands on another CPU)
            t.run("to_endpoint", denied, 0, 20).assertVerdict(TC_ACT_SHOT);
            int sent = drain(t).size();
            assertTrue(sent >= 3 && sent <= 9, "the budget refilled at the rate: " + sent);
            assertEquals(70, 5 + sent + suppressed(t), "every drop is an event or suppressed");
        }
    }

    @Test
    void aDropRateOfZeroSendsEveryDropEvent() {
        try (TemplateUnderTest t = tracked("constants", "flowDropRate", 0)) {
            byte[] denied = toEndpoint(REMOTE).udp(5353, 53).build();
            t.run("to_endpoint", denied, 0, 30).assertVerdict(TC_ACT_SHOT);
            assertEquals(30, drain(t).size());
            assertEquals(0, suppressed(t));
        }
    }

    /** flow_drop_budget.suppressed (offset 8), summed over CPUs. */
    private static long suppressed(TemplateUnderTest t) {
        return t.map("flow_drop_budget").sumU64(new byte[4], 8);
    }

    /** Frames for the drop test. */
    private static final class Frames {
        static byte[] spoofed() {
            return io.kiln.lab.Packets.ethernet("02:00:00:00:00:99", EP.nodeMac()).ipv4(EP.ipv4(), REMOTE).udp(1, 2)
                    .build();
        }
    }
}
